import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { defaultJobOptions, JobPayloads, QueueName, type JobName } from "@scenecap/protocol";
import type { CollectionStore } from "@scenecap/store";
import {
  bullListJobs, bullRetryFailed, bullStatus, QUEUE_STATES, QueueAdminUnsupportedError,
  type QueueAdmin, type QueueCounts, type QueueJobSummary, type QueueState, type QueueStatus,
} from "./queue-admin.js";

/**
 * Where the server hands work to workers, and the operator's handle on it. Enqueueing an id that is already
 * queued is a no-op.
 */
export interface JobQueue extends QueueAdmin {
  readonly kind: "bullmq" | "local";
  enqueue(name: JobName, payload: unknown, jobId: string): Promise<void>;
  close(): Promise<void>;
}

function checkPayload(name: JobName, payload: unknown): unknown {
  const schema = JobPayloads[name];
  if (!schema) throw new Error(`unknown job ${name}`);
  return schema.parse(payload);
}

export interface BullJobQueueOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** BullMQ key prefix. @defaultValue "bull" */
  prefix?: string;
  /** Queue name. @defaultValue QueueName.Extraction */
  queueName?: string;
  /** An enqueue that has not reached Redis by then fails (the API answers 503 instead of hanging). @defaultValue 5000 */
  enqueueTimeoutMs?: number;
  onError?: (err: Error) => void;
}

/** BullMQ producer on `QueueName.Extraction` with the catalogue's `defaultJobOptions`. */
export class BullJobQueue implements JobQueue {
  readonly kind = "bullmq" as const;
  readonly queue: Queue;
  private readonly connection: Redis;
  private readonly timeoutMs: number;

  constructor(opts: BullJobQueueOptions) {
    this.timeoutMs = opts.enqueueTimeoutMs ?? 5000;
    this.connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on("error", (err) => opts.onError?.(err));
    this.queue = new Queue(opts.queueName ?? QueueName.Extraction, {
      connection: this.connection,
      prefix: opts.prefix ?? "bull",
      defaultJobOptions: structuredClone(defaultJobOptions) as never,
    });
    this.queue.on("error", (err) => opts.onError?.(err));
  }

  async enqueue(name: JobName, payload: unknown, jobId: string): Promise<void> {
    const data = checkPayload(name, payload);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not accept the job within ${this.timeoutMs} ms (status: ${this.connection.status})`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.queue.add(name, data, { jobId }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get name(): string {
    return this.queue.name;
  }

  status(): Promise<QueueStatus> {
    return bullStatus(this.queue);
  }

  listJobs(state: QueueState, page: { limit: number; offset: number }): Promise<QueueJobSummary[]> {
    return bullListJobs(this.queue, state, page);
  }

  pause(): Promise<void> {
    return this.queue.pause();
  }

  resume(): Promise<void> {
    return this.queue.resume();
  }

  retryFailed(opts: { count?: number } = {}): Promise<number> {
    return bullRetryFailed(this.queue, opts);
  }

  async close(): Promise<void> {
    const closing = (async () => {
      await this.queue.close();
      await this.connection.quit();
    })().catch(() => undefined);
    // Never hang shutdown on an unreachable Redis.
    await Promise.race([closing, new Promise((r) => setTimeout(r, this.timeoutMs).unref())]);
    this.connection.disconnect();
  }
}

/** Embedded mode: jobs go to the store's durable local queue (`store.jobs`), run by the in-process worker. */
export class LocalJobQueue implements JobQueue {
  readonly kind = "local" as const;
  readonly name: string = QueueName.Extraction;
  constructor(protected readonly store: CollectionStore) {}

  async status(): Promise<QueueStatus> {
    const local = await this.store.jobs.counts();
    const counts = Object.fromEntries(QUEUE_STATES.map((s) => [s, (local as Partial<Record<QueueState, number>>)[s] ?? 0])) as QueueCounts;
    return { name: this.name, mode: "local", paused: false, counts };
  }

  async listJobs(): Promise<QueueJobSummary[]> {
    throw unsupported("Listing jobs");
  }

  async pause(): Promise<void> {
    throw unsupported("Pausing the queue");
  }

  async resume(): Promise<void> {
    throw unsupported("Resuming the queue");
  }

  async retryFailed(): Promise<number> {
    throw unsupported("Retrying failed jobs");
  }

  async enqueue(name: JobName, payload: unknown, jobId: string): Promise<void> {
    await this.store.jobs.enqueue({ id: jobId, name, payload: checkPayload(name, payload), max_attempts: defaultJobOptions.attempts });
  }

  async close(): Promise<void> {}
}

function unsupported(what: string): QueueAdminUnsupportedError {
  return new QueueAdminUnsupportedError(
    `${what} needs the BullMQ fleet mode (set REDIS_URL); the embedded local queue only reports counts`,
  );
}
