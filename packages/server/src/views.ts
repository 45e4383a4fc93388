import type {
  BatchResponse, BucketResponse, CollectionResponse, NamespaceResponse, ObjectResponse, RetrieverResponse, TaskResponse,
} from "@scenecap/protocol";
import type { ResourceRecord, StoredDocument } from "@scenecap/store";

/** Stored records → wire shapes (strict: only the documented fields leave the server). */

type D = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const arr = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const obj = (v: unknown): D => (v && typeof v === "object" && !Array.isArray(v) ? (v as D) : {});

export function namespaceView(r: ResourceRecord, counts: { document_count: number; bucket_count: number; collection_count: number; object_count: number }): NamespaceResponse {
  const d = r.data;
  return {
    namespace_id: r.id,
    namespace_name: str(d.namespace_name) ?? "",
    description: str(d.description),
    feature_extractors: arr(d.feature_extractors),
    payload_indexes: arr(d.payload_indexes),
    ...counts,
    auto_create_indexes: Boolean(d.auto_create_indexes),
    vector_inference_map: {},
    created_at: r.created_at,
    updated_at: r.updated_at,
  } as NamespaceResponse;
}

export function bucketView(r: ResourceRecord, objectCount: number): BucketResponse {
  const d = r.data;
  return {
    bucket_id: r.id,
    bucket_name: str(d.bucket_name) ?? "",
    description: str(d.description),
    bucket_schema: obj(d.bucket_schema) as BucketResponse["bucket_schema"],
    unique_key: (d.unique_key ?? null) as BucketResponse["unique_key"],
    metadata: obj(d.metadata),
    object_count: objectCount,
    total_size_bytes: typeof d.total_size_bytes === "number" ? d.total_size_bytes : 0,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_upload_at: str(d.last_upload_at),
    status: "ACTIVE",
    is_locked: false,
  };
}

export function objectView(r: ResourceRecord): ObjectResponse {
  const d = r.data;
  return {
    object_id: r.id,
    bucket_id: str(d.bucket_id) ?? "",
    key_prefix: str(d.key_prefix),
    metadata: obj(d.metadata),
    blobs: arr(d.blobs) as ObjectResponse["blobs"],
    source_details: arr(d.source_details),
    status: (str(d.status) ?? "DRAFT") as ObjectResponse["status"],
    error: str(d.error),
    content_hash: str(d.content_hash),
    batch_id: str(d.batch_id),
    task_id: str(d.task_id),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function batchView(r: ResourceRecord): BatchResponse {
  const d = r.data;
  const collectionIds = arr<string>(d.collection_ids);
  return {
    batch_id: r.id,
    batch_name: str(d.batch_name),
    bucket_id: str(d.bucket_id) ?? "",
    status: (str(d.status) ?? "DRAFT") as BatchResponse["status"],
    object_ids: arr(d.object_ids),
    collection_ids: collectionIds,
    error: str(d.error),
    error_summary: (d.error_summary ?? null) as BatchResponse["error_summary"],
    type: "BUCKET",
    task_id: str(d.task_id),
    loaded_object_ids: arr(d.object_ids),
    metadata: obj(d.metadata),
    tier_tasks: d.task_id
      ? [{ tier_num: 0, task_id: d.task_id, status: d.status, collection_ids: collectionIds, source_type: "bucket" }]
      : [],
    current_tier: d.task_id ? 0 : null,
    total_tiers: 1,
    dag_tiers: collectionIds.length ? [collectionIds] : [],
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function collectionView(r: ResourceRecord, documentCount: number, retrieverCount: number): CollectionResponse {
  const d = r.data;
  return {
    collection_id: r.id,
    collection_name: str(d.collection_name) ?? "",
    description: str(d.description),
    input_schema: (d.input_schema ?? null) as CollectionResponse["input_schema"],
    output_schema: obj(d.output_schema),
    feature_extractor: obj(d.feature_extractor) as CollectionResponse["feature_extractor"],
    source: obj(d.source) as CollectionResponse["source"],
    source_bucket_schemas: obj(d.source_bucket_schemas),
    source_lineage: arr(d.source_lineage),
    vector_indexes: arr(d.vector_indexes),
    payload_indexes: [],
    enabled: d.enabled !== false,
    metadata: obj(d.metadata),
    created_at: r.created_at,
    updated_at: r.updated_at,
    document_count: documentCount,
    schema_version: 1,
    last_schema_sync: null,
    schema_sync_enabled: true,
    taxonomy_applications: arr(d.taxonomy_applications),
    cluster_applications: [],
    alert_applications: [],
    taxonomy_count: arr(d.taxonomy_applications).length,
    retriever_count: retrieverCount,
  };
}

export function taskView(r: ResourceRecord): TaskResponse {
  const d = r.data;
  return {
    task_id: r.id,
    task_type: str(d.task_type) ?? "api_buckets_batches_submit",
    status: (str(d.status) ?? "UNKNOWN") as TaskResponse["status"],
    inputs: arr(d.inputs),
    outputs: arr(d.outputs),
    additional_data: (d.additional_data ?? null) as TaskResponse["additional_data"],
    error: str(d.error),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function retrieverView(r: ResourceRecord): RetrieverResponse {
  const d = r.data;
  return {
    retriever_id: r.id,
    retriever_name: str(d.retriever_name) ?? "",
    description: str(d.description),
    collection_ids: arr(d.collection_ids),
    collection_identifiers: arr(d.collection_identifiers),
    stages: arr(d.stages),
    input_schema: obj(d.input_schema),
    budget_limits: obj(d.budget_limits),
    feature_dependencies: arr(d.feature_dependencies),
    tags: arr(d.tags),
    display_config: (d.display_config ?? null) as RetrieverResponse["display_config"],
    version: typeof d.version === "number" ? d.version : 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Stored document → wire document (root fields, ids, `_internal`). */
export function documentView(doc: StoredDocument): D {
  return {
    ...doc.fields,
    document_id: doc.document_id,
    collection_id: doc.collection_id,
    ...(doc.object_id && !("object_id" in doc.fields) ? { object_id: doc.object_id } : {}),
  };
}
