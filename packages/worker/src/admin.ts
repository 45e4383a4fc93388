import type { Job, JobType, Queue } from "bullmq";

/** Job counts per state, in the shape the server's queue API returns. */
export interface QueueCounts {
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  delayed: number;
  prioritized: number;
  "waiting-children": number;
}

const STATES = ["waiting", "active", "completed", "failed", "delayed", "prioritized", "waiting-children"] as const;

export async function queueCounts(queue: Queue): Promise<QueueCounts & { isPaused: boolean }> {
  const counts = await queue.getJobCounts(...STATES);
  const out = Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0])) as unknown as QueueCounts;
  return { ...out, isPaused: await queue.isPaused() };
}

/** Stops workers from taking new jobs of this queue (active ones finish). */
export async function pauseQueue(queue: Queue): Promise<void> {
  await queue.pause();
}

export async function resumeQueue(queue: Queue): Promise<void> {
  await queue.resume();
}

/** Moves failed jobs back to waiting (at most `count`, oldest first). Returns how many were retried. */
export async function retryFailed(queue: Queue, opts: { count?: number } = {}): Promise<number> {
  const limit = opts.count ?? Infinity;
  let retried = 0;
  const page = 100;
  while (retried < limit) {
    const jobs: Job[] = await queue.getFailed(0, Math.min(page, limit - retried) - 1);
    if (jobs.length === 0) break;
    for (const job of jobs) {
      await job.retry("failed");
      retried++;
    }
  }
  return retried;
}

/** A page of jobs in one state, newest first, as plain summaries. */
export async function listJobs(queue: Queue, state: JobType, start = 0, end = 49) {
  const jobs = await queue.getJobs([state], start, end, false);
  return jobs.map((j) => ({
    id: j.id,
    name: j.name,
    data: j.data as unknown,
    progress: j.progress,
    attemptsMade: j.attemptsMade,
    failedReason: j.failedReason || null,
    timestamp: j.timestamp,
    finishedOn: j.finishedOn ?? null,
  }));
}
