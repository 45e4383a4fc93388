import type { Job, Queue } from "bullmq";
import { z } from "zod";

/** Job states the admin API reports and lists (BullMQ's; the store's local queue has the first four). */
export const QUEUE_STATES = ["waiting", "active", "completed", "failed", "delayed", "prioritized", "waiting-children"] as const;
export type QueueState = (typeof QUEUE_STATES)[number];
export type QueueCounts = Record<QueueState, number>;

/** What `GET /v1/queues/{queue}` answers. */
export const QueueStatusResponse = z.object({
  name: z.string(),
  /** `bullmq` (fleet mode) or `local` (embedded mode, the store's queue). */
  mode: z.enum(["bullmq", "local"]),
  paused: z.boolean(),
  counts: z.object(Object.fromEntries(QUEUE_STATES.map((s) => [s, z.number().int()])) as Record<QueueState, z.ZodNumber>),
});
export type QueueStatus = z.infer<typeof QueueStatusResponse>;

/** One job in a listing. */
export const QueueJobSummary = z.object({
  id: z.string().nullable(),
  name: z.string(),
  attempts_made: z.number().int(),
  failed_reason: z.string().nullable(),
  progress: z.unknown(),
  /** Epoch milliseconds. */
  timestamp: z.number().nullable(),
  processed_on: z.number().nullable(),
  finished_on: z.number().nullable(),
});
export type QueueJobSummary = z.infer<typeof QueueJobSummary>;

/** The operations an operator runs on the job queue. */
export interface QueueAdmin {
  /** The queue's name (`QueueName.Extraction`). */
  readonly name: string;
  status(): Promise<QueueStatus>;
  /** Jobs of one state, newest first. */
  listJobs(state: QueueState, page: { limit: number; offset: number }): Promise<QueueJobSummary[]>;
  /** Workers stop taking new jobs (active ones finish). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Moves failed jobs back to waiting, oldest first, at most `count`. Returns how many moved. */
  retryFailed(opts?: { count?: number }): Promise<number>;
}

/** Thrown for an operation the queue in use cannot do (the API answers 400). */
export class QueueAdminUnsupportedError extends Error {
  override name = "QueueAdminUnsupportedError";
}

// ── BullMQ ─────────────────────────────────────────────────────────────────────────────────────────

export async function bullStatus(queue: Queue): Promise<QueueStatus> {
  const [raw, paused] = await Promise.all([queue.getJobCounts(...QUEUE_STATES), queue.isPaused()]);
  const counts = Object.fromEntries(QUEUE_STATES.map((s) => [s, raw[s] ?? 0])) as QueueCounts;
  return { name: queue.name, mode: "bullmq", paused, counts };
}

export async function bullListJobs(queue: Queue, state: QueueState, page: { limit: number; offset: number }): Promise<QueueJobSummary[]> {
  if (page.limit <= 0) return [];
  const jobs = (await queue.getJobs([state], page.offset, page.offset + page.limit - 1, false)) as Job[];
  return jobs.filter(Boolean).map(summarizeBullJob);
}

function summarizeBullJob(j: Job): QueueJobSummary {
  return {
    id: j.id ?? null,
    name: j.name,
    attempts_made: j.attemptsMade,
    failed_reason: j.failedReason || null,
    progress: j.progress,
    timestamp: j.timestamp ?? null,
    processed_on: j.processedOn ?? null,
    finished_on: j.finishedOn ?? null,
  };
}

/**
 * Retries failed jobs oldest first. The failed set is measured once up front, so jobs that fail again
 * while this runs are not retried a second time (the loop always ends).
 */
export async function bullRetryFailed(queue: Queue, opts: { count?: number } = {}): Promise<number> {
  const failed = (await queue.getJobCounts("failed")).failed ?? 0;
  const limit = Math.min(opts.count ?? Infinity, failed);
  let retried = 0;
  while (retried < limit) {
    const jobs = (await queue.getJobs(["failed"], 0, Math.min(100, limit - retried) - 1, true)) as Job[];
    if (jobs.length === 0) break;
    for (const job of jobs) {
      if (!job) continue;
      await job.retry("failed");
      retried++;
    }
  }
  return retried;
}
