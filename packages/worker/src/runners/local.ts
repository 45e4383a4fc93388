import { setTimeout as sleep } from "node:timers/promises";
import { defaultJobOptions } from "@scenecap/protocol";
import type { LocalJob } from "@scenecap/store";
import { errorMessage, isPermanent } from "../errors.js";
import { buildHandlerMap, dispatch, recordAbandoned, type HandlerRegistration } from "../jobs/catalogue.js";
import type { JobContext } from "../pipeline/process-object.js";
import type { JobDeps } from "./bull.js";

export interface LocalRunnerOptions extends JobDeps {
  /** Jobs run at once. @defaultValue 1 */
  concurrency?: number;
  /** Idle wait between polls of an empty queue. @defaultValue 500 */
  pollMs?: number;
  /** A claimed job's lease; renewed at a third of it while the job runs. A dead process's jobs come back when it expires. @defaultValue 60 000 */
  leaseMs?: number;
  /** First retry delay, doubled each attempt (the catalogue's backoff). @defaultValue 5 000 */
  backoffMs?: number;
  /** @defaultValue the full catalogue */
  handlers?: readonly HandlerRegistration[];
}

export interface LocalRunner {
  /** Jobs finished (completed or failed for good) since start. */
  readonly processed: number;
  /** Stops claiming and waits for the active jobs to finish. */
  close(): Promise<void>;
}

/**
 * Embedded-mode runner over the store's durable queue (`store.jobs`): claims jobs with a lease, keeps the
 * lease alive while the job runs, and retries with exponential backoff. After a crash, unfinished jobs are
 * claimed again once their lease expires, so a restart resumes them.
 */
export function createLocalRunner(opts: LocalRunnerOptions): LocalRunner {
  const map = buildHandlerMap(opts.handlers);
  const log = opts.log ?? (() => {});
  const leaseMs = opts.leaseMs ?? 60_000;
  const pollMs = opts.pollMs ?? 500;
  const backoffMs = opts.backoffMs ?? defaultJobOptions.backoff.delay;
  const stop = new AbortController();
  let processed = 0;

  async function runOne(job: LocalJob): Promise<void> {
    const renew = setInterval(() => {
      opts.store.jobs.extendLease(job.id, leaseMs).catch((e) => log(`lease renewal of ${job.id} failed: ${errorMessage(e)}`));
    }, Math.max(50, Math.floor(leaseMs / 3)));
    // attempts_made counts claims that ended (or are under way): this run is attempt attempts_made when the
    // store counts the claim, else attempts_made + 1.
    const attempt = Math.max(1, job.attempts_made);
    const ctx: JobContext = {
      store: opts.store,
      blobs: opts.blobs,
      captioners: opts.captioners,
      config: opts.config,
      log,
      attempt,
      maxAttempts: job.max_attempts,
      jobId: job.id,
    };
    try {
      await dispatch(map, job.name, job.payload, ctx);
      await opts.store.jobs.complete(job.id);
      processed++;
    } catch (err) {
      const final = isPermanent(err) || attempt >= job.max_attempts;
      const retryAt = final ? null : new Date(Date.now() + backoffMs * 2 ** (attempt - 1));
      await opts.store.jobs.fail(job.id, errorMessage(err), retryAt);
      if (final) processed++;
      log(`job ${job.id} failed (attempt ${attempt}/${job.max_attempts}${final ? ", final" : ""}): ${errorMessage(err)}`);
    } finally {
      clearInterval(renew);
    }
  }

  // Jobs whose process died on their last attempt: failed by the queue, recorded on their task here. Leases
  // expire at lease granularity, so one sweep per third of a lease (shared by all slots) is enough.
  let nextReapAt = 0;
  async function reap(): Promise<void> {
    if (Date.now() < nextReapAt) return;
    nextReapAt = Date.now() + Math.max(pollMs, Math.floor(leaseMs / 3));
    for (const job of await opts.store.jobs.reapExpired()) {
      processed++;
      log(`job ${job.id} failed (attempt ${job.attempts_made}/${job.max_attempts}, final): ${job.last_error}`);
      await recordAbandoned(map, job.name, job.payload, job.last_error ?? "lease expired", opts.store)
        .catch((e) => log(`could not record the failure of ${job.id}: ${errorMessage(e)}`));
    }
  }

  async function slot(): Promise<void> {
    while (!stop.signal.aborted) {
      let job: LocalJob | null = null;
      try {
        await reap();
        job = await opts.store.jobs.claim(leaseMs);
      } catch (err) {
        log(`polling the job queue failed: ${errorMessage(err)}`);
      }
      if (!job) {
        await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => {});
        continue;
      }
      await runOne(job);
    }
  }

  const slots = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => slot());
  return {
    get processed() {
      return processed;
    },
    async close() {
      stop.abort();
      await Promise.all(slots);
    },
  };
}
