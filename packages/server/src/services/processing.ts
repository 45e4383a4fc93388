import { ExtractorSpec, JobName, processObjectJobId, type ProcessObjectPayload } from "@scenecap/protocol";
import type { ResourceRecord } from "@scenecap/store";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";

/** Collections of the namespace sourced from a bucket (optionally restricted to some ids or names). */
export async function collectionsForBucket(ctx: AppContext, ns: string, bucketId: string, only?: string[] | null): Promise<ResourceRecord[]> {
  const all = await ctx.listAll("collection", ns);
  const sourced = all.filter((c) => {
    const source = c.data.source as { bucket_ids?: unknown } | undefined;
    return Array.isArray(source?.bucket_ids) && source.bucket_ids.includes(bucketId) && c.data.enabled !== false;
  });
  if (!only || only.length === 0) return sourced;
  return only.map((idOrName) => {
    const c = sourced.find((x) => x.id === idOrName || x.data.collection_name === idOrName);
    if (!c) throw new ApiError("bad_request", `Collection ${JSON.stringify(idOrName)} is not sourced from bucket ${bucketId}`);
    return c;
  });
}

export interface StartProcessing {
  ns: string;
  bucketId: string;
  batchId: string;
  objectIds: string[];
  collections: ResourceRecord[];
  /** Pre-allocated task id (e.g. claimed on the batch first). */
  taskId?: string;
}

/**
 * Creates the task record (PENDING, `jobs: {}`), marks the objects PENDING on it, then enqueues one
 * `ProcessObject` job per (collection, object) with a deterministic job id. Returns the task id.
 *
 * The objects are marked before any job exists: a worker may finish a job before `enqueue` returns, and its
 * terminal state must not be overwritten. When an enqueue fails, the task is FAILED and so are the objects
 * that no job was queued for (a queued job still reports its own state); the error is a 503.
 */
export async function startProcessing(ctx: AppContext, p: StartProcessing): Promise<string> {
  if (p.collections.length === 0) {
    throw new ApiError("bad_request", `No collection is sourced from bucket ${p.bucketId}; create one with source.bucket_ids = ["${p.bucketId}"] first`);
  }
  const taskId = p.taskId ?? newId.task();
  const now = new Date().toISOString();
  const collectionIds = p.collections.map((c) => c.id);
  const jobsTotal = collectionIds.length * p.objectIds.length;
  await ctx.store.resources.create("task", {
    id: taskId,
    namespace_id: p.ns,
    created_at: now,
    updated_at: now,
    data: {
      task_id: taskId,
      task_type: "api_buckets_batches_submit",
      status: "PENDING",
      inputs: [p.batchId],
      outputs: [],
      error: null,
      additional_data: {
        batch_id: p.batchId,
        bucket_id: p.bucketId,
        namespace_id: p.ns,
        collection_ids: collectionIds,
        object_count: p.objectIds.length,
        jobs_total: jobsTotal,
        jobs: {},
        segments_done: 0,
        segments_total: 0,
        progress: 0,
        current_tier: 0,
        total_tiers: 1,
        sample_object_ids: p.objectIds.slice(0, 5),
      },
    },
  });
  const queued = new Set<string>();
  try {
    await markObjectsPending(ctx, p.ns, p.objectIds, p.batchId, taskId);
    for (const collection of p.collections) {
      const extractor = ExtractorSpec.parse(collection.data.feature_extractor ?? {});
      for (const objectId of p.objectIds) {
        const payload: ProcessObjectPayload = {
          namespace_id: p.ns,
          task_id: taskId,
          batch_id: p.batchId,
          bucket_id: p.bucketId,
          object_id: objectId,
          collection_id: collection.id,
          extractor,
        };
        await ctx.queue.enqueue(JobName.ProcessObject, payload, processObjectJobId(payload));
        queued.add(objectId);
      }
    }
  } catch (err) {
    const message = `could not enqueue jobs: ${(err as Error).message}`;
    await ctx.store.resources.update("task", p.ns, taskId, (cur) => ({ data: { ...cur.data, status: "FAILED", error: message } }));
    for (const id of p.objectIds) {
      if (queued.has(id)) continue;
      await ctx.store.resources.update("object", p.ns, id, (cur) =>
        cur.data.task_id === taskId && cur.data.status === "PENDING" ? { data: { ...cur.data, status: "FAILED", error: message } } : { data: cur.data },
      );
    }
    throw new ApiError("unavailable", `Job queue unavailable: ${(err as Error).message}`);
  }
  return taskId;
}

/** Marks objects as queued on a task (their terminal state is written by the worker). */
export async function markObjectsPending(ctx: AppContext, ns: string, objectIds: string[], batchId: string, taskId: string): Promise<void> {
  for (const id of objectIds) {
    await ctx.store.resources.update("object", ns, id, (cur) => ({
      data: { ...cur.data, status: "PENDING", error: null, batch_id: batchId, task_id: taskId },
    }));
  }
}

/** Creates a batch record (DRAFT) for objects of a bucket. */
export async function createBatchRecord(
  ctx: AppContext,
  ns: string,
  bucketId: string,
  objectIds: string[],
  extra: { batch_name?: string | null; collection_ids?: string[] | null; metadata?: Record<string, unknown> | null } = {},
): Promise<ResourceRecord> {
  const now = new Date().toISOString();
  return ctx.store.resources.create("batch", {
    id: newId.batch(),
    namespace_id: ns,
    created_at: now,
    updated_at: now,
    data: {
      batch_name: extra.batch_name ?? null,
      bucket_id: bucketId,
      status: "DRAFT",
      object_ids: objectIds,
      collection_ids: extra.collection_ids ?? [],
      error: null,
      task_id: null,
      metadata: extra.metadata ?? {},
    },
  });
}

/**
 * Submits a batch: resolves collections, claims the batch (PENDING, with its task id), starts processing, then
 * moves the batch to IN_PROGRESS unless a job already finished it. On failure the batch is FAILED. Idempotent.
 */
export async function submitBatch(ctx: AppContext, ns: string, batch: ResourceRecord, collectionIds?: string[] | null): Promise<string> {
  if (typeof batch.data.task_id === "string" && batch.data.task_id) return batch.data.task_id; // re-submit is ignored
  const bucketId = String(batch.data.bucket_id);
  const requested = collectionIds?.length ? collectionIds : (batch.data.collection_ids as string[] | undefined);
  const collections = await collectionsForBucket(ctx, ns, bucketId, requested);
  const objectIds = (batch.data.object_ids as string[]) ?? [];
  if (collections.length === 0) await startProcessing(ctx, { ns, bucketId, batchId: batch.id, objectIds, collections }); // throws the 400
  // Claim the batch atomically so concurrent submits start one task only.
  const candidate = newId.task();
  let taskId = candidate;
  await ctx.store.resources.update("batch", ns, batch.id, (cur) => {
    if (typeof cur.data.task_id === "string" && cur.data.task_id) {
      taskId = cur.data.task_id;
      return { data: cur.data };
    }
    return { data: { ...cur.data, status: "PENDING", task_id: candidate, collection_ids: collections.map((c) => c.id) } };
  });
  if (taskId !== candidate) return taskId;
  try {
    await startProcessing(ctx, { ns, bucketId, batchId: batch.id, objectIds, collections, taskId });
  } catch (err) {
    await ctx.store.resources.update("batch", ns, batch.id, (cur) => ({ data: { ...cur.data, status: "FAILED", error: (err as Error).message } }));
    throw err;
  }
  // A fast job may already have moved the batch on (COMPLETED / FAILED): only PENDING advances.
  await ctx.store.resources.update("batch", ns, batch.id, (cur) => ({
    data: { ...cur.data, status: cur.data.status === "PENDING" ? "IN_PROGRESS" : cur.data.status },
  }));
  return taskId;
}
