import type { ProcessObjectPayload, TaskStatus } from "@scenecap/protocol";
import type { CollectionStore } from "@scenecap/store";

/** The worker's entry for one job in `task.data.additional_data.jobs`. */
export interface JobEntry {
  status: "PROCESSING" | "COMPLETED" | "FAILED";
  segments_done: number;
  segments_total: number;
  documents_written?: number;
  error?: string;
}

export function jobKey(p: Pick<ProcessObjectPayload, "collection_id" | "object_id">): string {
  return `${p.collection_id}:${p.object_id}`;
}

const isTerminalEntry = (e: JobEntry | undefined) => e?.status === "COMPLETED" || e?.status === "FAILED";

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * Pure: the task `data` after setting one job's entry. Sums and progress are recomputed from every entry;
 * the status is PROCESSING until each of `jobs_total` jobs has a terminal entry, then COMPLETED (none
 * failed), FAILED (all failed; `error` = the first reason) or COMPLETED_WITH_ERRORS (`error` lists failures).
 */
export function applyJobEntry(data: Record<string, unknown>, key: string, entry: JobEntry): Record<string, unknown> {
  const additional = { ...asRecord(data.additional_data) };
  const jobs = { ...(asRecord(additional.jobs) as Record<string, JobEntry>), [key]: entry };
  const entries = Object.entries(jobs);
  const jobsTotal = Math.max(Number(additional.jobs_total) || 0, entries.length);
  let done = 0;
  let total = 0;
  let units = 0;
  for (const [, e] of entries) {
    done += e.segments_done;
    total += e.segments_total;
    units += isTerminalEntry(e) ? 1 : e.segments_total > 0 ? Math.min(1, e.segments_done / e.segments_total) : 0;
  }
  const terminal = entries.filter(([, e]) => isTerminalEntry(e));
  const failed = terminal.filter(([, e]) => e.status === "FAILED");
  let status: TaskStatus = "PROCESSING";
  let error: string | null = null;
  if (terminal.length >= jobsTotal) {
    if (failed.length === 0) status = "COMPLETED";
    else if (failed.length === terminal.length) {
      status = "FAILED";
      error = failed[0]![1].error ?? "failed";
    } else {
      status = "COMPLETED_WITH_ERRORS";
      error = failed.map(([k, e]) => `${k}: ${e.error ?? "failed"}`).join("; ");
    }
  }
  return {
    ...data,
    status,
    error,
    additional_data: {
      ...additional,
      jobs,
      jobs_total: jobsTotal,
      segments_done: done,
      segments_total: total,
      progress: jobsTotal > 0 ? Math.round((units / jobsTotal) * 1000) / 10 : 0,
    },
  };
}

/**
 * Records a job's state on its task (atomic read-modify-write), then mirrors the task's state onto the batch
 * (IN_PROGRESS → COMPLETED / FAILED) and this job's state onto the object. Idempotent: a retry rewrites the
 * same entry. Returns the task status after the update (null when the task record is gone).
 */
export async function recordJobState(
  store: CollectionStore,
  p: ProcessObjectPayload,
  entry: JobEntry,
): Promise<TaskStatus | null> {
  const ns = p.namespace_id;
  const task = await store.resources.update("task", ns, p.task_id, (cur) => ({
    data: applyJobEntry(cur.data, jobKey(p), entry),
  }));
  const taskStatus = (task?.data.status as TaskStatus | undefined) ?? null;
  const now = new Date().toISOString();
  if (taskStatus) {
    const batchStatus = taskStatus === "PROCESSING" ? "IN_PROGRESS" : taskStatus === "FAILED" ? "FAILED" : "COMPLETED";
    await store.resources.update("batch", ns, p.batch_id, (cur) => {
      const done = batchStatus !== "IN_PROGRESS";
      return {
        data: {
          ...cur.data,
          status: batchStatus,
          error: done ? (task!.data.error ?? null) : (cur.data.error ?? null),
          ...(done ? { completed_at: cur.data.completed_at ?? now } : {}),
          updated_at: now,
        },
      };
    });
  }
  await store.resources.update("object", ns, p.object_id, (cur) => ({
    data: {
      ...cur.data,
      status: entry.status,
      error: entry.status === "FAILED" ? (entry.error ?? "failed") : null,
      updated_at: now,
    },
  }));
  return taskStatus;
}
