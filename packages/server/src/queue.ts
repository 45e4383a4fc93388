import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { defaultJobOptions, JobPayloads, QueueName, type JobName } from "@scenecap/protocol";
import type { CollectionStore } from "@scenecap/store";

/** Where the server hands work to workers. Enqueueing an id that is already queued is a no-op. */
export interface JobQueue {
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
  constructor(private readonly store: CollectionStore) {}

  async enqueue(name: JobName, payload: unknown, jobId: string): Promise<void> {
    await this.store.jobs.enqueue({ id: jobId, name, payload: checkPayload(name, payload), max_attempts: defaultJobOptions.attempts });
  }

  async close(): Promise<void> {}
}
