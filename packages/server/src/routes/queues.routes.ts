import { z } from "zod";
import { ApiError } from "../errors.js";
import type { JobQueue } from "../queue.js";
import { QUEUE_STATES, QueueJobSummary, QueueStatusResponse } from "../queue-admin.js";
import { route, type RouteEnv } from "./shared.js";

const JobsQuery = z.object({
  state: z.enum(QUEUE_STATES).default("failed"),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const JobsResponse = z.object({
  queue: z.string(),
  state: z.enum(QUEUE_STATES),
  limit: z.number().int(),
  offset: z.number().int(),
  results: z.array(QueueJobSummary),
});

const RetryFailedRequest = z.object({
  /** At most this many (oldest first); all failed jobs when absent. */
  count: z.number().int().positive().optional(),
});

/**
 * Queue administration for operators. The queue is shared by every namespace, so these routes take an
 * admin key only.
 */
export function queueRoutes(env: RouteEnv): void {
  const { ctx } = env;
  const queues = (): JobQueue[] => [ctx.queue];
  const mustQueue = (name: string): JobQueue => {
    const q = queues().find((x) => x.name === name);
    if (!q) throw new ApiError("not_found", `Queue ${JSON.stringify(name)} not found (known: ${queues().map((x) => x.name).join(", ")})`);
    return q;
  };
  const common = { tag: "Queues", auth: "admin" as const };

  route(env, {
    ...common, method: "GET", url: "/v1/queues", operationId: "listQueues", summary: "Every job queue with its counts per state (admin key)",
    response: z.object({ results: z.array(QueueStatusResponse) }),
  }, async () => ({ results: await Promise.all(queues().map((q) => q.status())) }));

  route(env, {
    ...common, method: "GET", url: "/v1/queues/:queue", operationId: "getQueue", summary: "Counts per state and whether the queue is paused (admin key)",
    response: QueueStatusResponse,
  }, async ({ params }) => mustQueue(params.queue!).status());

  route(env, {
    ...common, method: "GET", url: "/v1/queues/:queue/jobs", operationId: "listQueueJobs", summary: "Jobs of one state, newest first (admin key; fleet mode)",
    query: JobsQuery, response: JobsResponse,
  }, async ({ params, query }) => {
    const q = mustQueue(params.queue!);
    const results = await q.listJobs(query.state, { limit: query.limit, offset: query.offset });
    return { queue: q.name, state: query.state, limit: query.limit, offset: query.offset, results };
  });

  route(env, {
    ...common, method: "POST", url: "/v1/queues/:queue/pause", operationId: "pauseQueue", summary: "Stop workers taking new jobs; active ones finish (admin key; fleet mode)",
    response: QueueStatusResponse,
  }, async ({ params }) => {
    const q = mustQueue(params.queue!);
    await q.pause();
    return q.status();
  });

  route(env, {
    ...common, method: "POST", url: "/v1/queues/:queue/resume", operationId: "resumeQueue", summary: "Let workers take jobs again (admin key; fleet mode)",
    response: QueueStatusResponse,
  }, async ({ params }) => {
    const q = mustQueue(params.queue!);
    await q.resume();
    return q.status();
  });

  route(env, {
    ...common, method: "POST", url: "/v1/queues/:queue/retry-failed", operationId: "retryFailedJobs", summary: "Move failed jobs back to waiting, oldest first (admin key; fleet mode)",
    body: RetryFailedRequest, response: z.object({ retried: z.number().int() }),
  }, async ({ params, body }) => ({ retried: await mustQueue(params.queue!).retryFailed(body.count !== undefined ? { count: body.count } : {}) }));
}
