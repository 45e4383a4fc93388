import { Worker, type ConnectionOptions, type Job } from "bullmq";
import { defaultJobOptions, type QueueName } from "@scenecap/protocol";
import { errorMessage } from "../errors.js";
import { buildHandlerMap, dispatch, queuesOf, recordAbandoned, type HandlerRegistration } from "../jobs/catalogue.js";
import type { JobContext } from "../pipeline/process-object.js";

export type JobDeps = Pick<JobContext, "store" | "blobs" | "captioners" | "config" | "log">;

export interface BullWorkerOptions extends JobDeps {
  /** ioredis options or an existing connection (BullMQ needs `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  /** BullMQ key prefix; must match the server's. @defaultValue "bull" */
  prefix?: string;
  /** Jobs run at once per worker process; their frames share one inference queue. @defaultValue 1 */
  concurrency?: number;
  /** Job lock; renewed at half this while a job runs (inference is off the event loop). @defaultValue 60 000 */
  lockDuration?: number;
  /** How often stalled jobs (a worker died) are looked for. @defaultValue 30 000 */
  stalledInterval?: number;
  /** Times a job may stall (its worker died) before it fails instead of being retried. @defaultValue 1 */
  maxStalledCount?: number;
  /** @defaultValue the full catalogue */
  handlers?: readonly HandlerRegistration[];
  /** Start consuming at once. @defaultValue true */
  autorun?: boolean;
}

export interface BullRunner {
  readonly workers: Worker[];
  /** Stops taking jobs and waits for the active ones (force: abandon them; their locks expire and another worker takes them). */
  close(force?: boolean): Promise<void>;
}

/**
 * BullMQ consumers for every queue of the catalogue. The processor only adapts a BullMQ job to the shared
 * job handler: progress goes to `job.updateProgress`, the attempt number decides whether a failure is final.
 */
export function createBullWorker(opts: BullWorkerOptions): BullRunner {
  const map = buildHandlerMap(opts.handlers);
  const log = opts.log ?? (() => {});
  const workers = queuesOf(map).map((queue: QueueName) => {
    const worker = new Worker(
      queue,
      async (job: Job, _token?: string, signal?: AbortSignal) => {
        const ctx: JobContext = {
          store: opts.store,
          blobs: opts.blobs,
          captioners: opts.captioners,
          config: opts.config,
          log,
          progress: (p) => job.updateProgress(p),
          ...(signal ? { signal } : {}),
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? defaultJobOptions.attempts,
          jobId: job.id ?? job.name,
        };
        return dispatch(map, job.name, job.data, ctx);
      },
      {
        connection: opts.connection,
        prefix: opts.prefix ?? "bull",
        concurrency: opts.concurrency ?? 1,
        lockDuration: opts.lockDuration ?? 60_000,
        stalledInterval: opts.stalledInterval ?? 30_000,
        maxStalledCount: opts.maxStalledCount ?? 1,
        autorun: opts.autorun ?? true,
      },
    );
    worker.on("error", (err) => log(`worker error on ${queue}: ${err.message}`));
    worker.on("failed", (job, err) => {
      log(`job ${job?.id ?? "?"} failed (attempt ${job?.attemptsMade ?? "?"}): ${errorMessage(err)}`);
      // A job that failed without its processor finishing (stalled too often: its workers kept dying)
      // never recorded FAILED itself; do it here so the task reaches a terminal state.
      if (job && /stalled/i.test(errorMessage(err))) {
        recordAbandoned(map, job.name, job.data, errorMessage(err), opts.store)
          .catch((e) => log(`could not record the failure of ${job.id}: ${errorMessage(e)}`));
      }
    });
    return worker;
  });
  return {
    workers,
    async close(force = false) {
      await Promise.all(workers.map((w) => w.close(force)));
    },
  };
}
