import { randomUUID } from "node:crypto";
import type { ProcessObjectPayload } from "@scenecap/protocol";
import type { CollectionStore, ResourceKind } from "@scenecap/store";

/** Seeds the records the server writes before enqueueing (task PENDING with `jobs: {}`, batch, objects, collection). */
export async function seed(
  store: CollectionStore,
  opts: {
    ns: string;
    sources: { objectId: string; url: string; metadata?: Record<string, unknown> }[];
    params?: Record<string, unknown>;
    collectionId?: string;
  },
): Promise<{ payloads: ProcessObjectPayload[]; taskId: string; batchId: string; collectionId: string }> {
  const now = new Date().toISOString();
  const bucketId = `bkt_${randomUUID().slice(0, 8)}`;
  const collectionId = opts.collectionId ?? `col_${randomUUID().slice(0, 8)}`;
  const batchId = `btch_${randomUUID().slice(0, 8)}`;
  const taskId = randomUUID();
  const create = (kind: ResourceKind, id: string, data: Record<string, unknown>) =>
    store.resources.create(kind, { id, namespace_id: opts.ns, created_at: now, updated_at: now, data });
  const extractor = { feature_extractor_name: "scene_description", version: "v1", parameters: opts.params ?? {} };
  if (!(await store.resources.get("collection", opts.ns, collectionId))) {
    await create("collection", collectionId, {
      collection_id: collectionId,
      collection_name: collectionId,
      source: { type: "bucket", bucket_ids: [bucketId] },
      feature_extractor: { ...extractor, field_passthrough: [], include_all_source_fields: true },
    });
  }
  for (const s of opts.sources) {
    await create("object", s.objectId, {
      object_id: s.objectId,
      bucket_id: bucketId,
      metadata: s.metadata ?? {},
      blobs: [{ blob_id: `blob_${s.objectId}`, property: "video", type: "video", data: s.url, details: {} }],
      status: "PENDING",
      error: null,
    });
  }
  await create("batch", batchId, { bucket_id: bucketId, status: "IN_PROGRESS", object_ids: opts.sources.map((s) => s.objectId), task_id: taskId, error: null });
  await create("task", taskId, {
    task_id: taskId,
    task_type: "api_buckets_batches_submit",
    status: "PENDING",
    inputs: [batchId],
    outputs: [],
    error: null,
    additional_data: {
      batch_id: batchId,
      bucket_id: bucketId,
      namespace_id: opts.ns,
      collection_ids: [collectionId],
      object_count: opts.sources.length,
      jobs_total: opts.sources.length,
      jobs: {},
      segments_done: 0,
      segments_total: 0,
      progress: 0,
    },
  });
  const payloads = opts.sources.map((s) => ({
    namespace_id: opts.ns,
    task_id: taskId,
    batch_id: batchId,
    bucket_id: bucketId,
    object_id: s.objectId,
    collection_id: collectionId,
    extractor,
  }));
  return { payloads, taskId, batchId, collectionId };
}
