import { z } from "zod";
import { JsonObject, ResourceName, Timestamp } from "./common.js";
import { TaskStatus } from "./tasks.js";

export const BucketSchemaFieldType = z.enum([
  "string", "number", "integer", "float", "boolean", "object", "array", "date", "datetime",
  "text", "image", "audio", "video", "pdf", "excel",
]);
export type BucketSchemaFieldType = z.infer<typeof BucketSchemaFieldType>;

/** Blob-carrying field types (a blob's `property` must be one of these in the schema). */
export const BLOB_FIELD_TYPES: readonly BucketSchemaFieldType[] = ["text", "image", "audio", "video", "pdf", "excel", "string"];

export const BucketSchemaField = z.object({
  type: BucketSchemaFieldType,
  /** @defaultValue false */
  required: z.boolean().default(false),
  description: z.string().nullish(),
  default: z.unknown().optional(),
  enum: z.array(z.unknown()).nullish(),
  items: JsonObject.nullish(),
  properties: JsonObject.nullish(),
  examples: z.array(z.unknown()).nullish(),
});
export type BucketSchemaField = z.infer<typeof BucketSchemaField>;

export const BucketSchema = z.object({ properties: z.record(z.string(), BucketSchemaField) });
export type BucketSchema = z.infer<typeof BucketSchema>;

export const WritePolicy = z.enum(["insert", "update", "upsert"]);
export type WritePolicy = z.infer<typeof WritePolicy>;

export const UniqueKey = z.object({
  fields: z.array(z.string().min(1)).min(1),
  default_policy: WritePolicy.nullish(),
});
export type UniqueKey = z.infer<typeof UniqueKey>;

/** `bucket_schema` (SPEC) or `schema` (quickstart docs); parses to `bucket_schema`. */
export const CreateBucketRequest = z
  .object({
    bucket_name: ResourceName,
    description: z.string().max(2000).nullish(),
    bucket_schema: BucketSchema.optional(),
    schema: BucketSchema.optional(),
    unique_key: UniqueKey.nullish(),
    metadata: JsonObject.nullish(),
  })
  .transform((v, ctx) => {
    const schema = v.bucket_schema ?? v.schema;
    if (!schema) {
      ctx.addIssue({ code: "custom", message: "bucket_schema is required", path: ["bucket_schema"] });
      return z.NEVER;
    }
    for (const f of v.unique_key?.fields ?? []) {
      if (!f.startsWith("metadata.") && !(f in schema.properties)) {
        ctx.addIssue({ code: "custom", message: `unique_key field "${f}" is not in bucket_schema`, path: ["unique_key", "fields"] });
      }
    }
    return {
      bucket_name: v.bucket_name,
      description: v.description ?? null,
      bucket_schema: schema,
      unique_key: v.unique_key ?? null,
      metadata: v.metadata ?? {},
    };
  });
export type CreateBucketRequest = z.output<typeof CreateBucketRequest>;

export const UpdateBucketRequest = z
  .object({
    bucket_name: ResourceName.optional(),
    description: z.string().max(2000).nullish(),
    bucket_schema: BucketSchema.optional(),
    schema: BucketSchema.optional(),
    metadata: JsonObject.nullish(),
  })
  .transform(({ schema, bucket_schema, ...rest }) => ({ ...rest, bucket_schema: bucket_schema ?? schema }));
export type UpdateBucketRequest = z.output<typeof UpdateBucketRequest>;

export const BucketResponse = z.object({
  bucket_id: z.string(),
  bucket_name: z.string(),
  description: z.string().nullable(),
  bucket_schema: BucketSchema,
  unique_key: UniqueKey.nullable(),
  metadata: JsonObject,
  object_count: z.number().int(),
  total_size_bytes: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_upload_at: Timestamp.nullable(),
  status: TaskStatus,
  is_locked: z.boolean(),
});
export type BucketResponse = z.infer<typeof BucketResponse>;

// ── objects ────────────────────────────────────────────────────────────────────────────────────────

/** Blob content: URL string, data-URI, `{base64, mime_type?, filename?}` or `{url}`. */
export const BlobData = z.union([
  z.string().min(1),
  z.object({ base64: z.string().min(1), mime_type: z.string().nullish(), filename: z.string().nullish() }),
  z.object({ url: z.string().min(1) }),
]);
export type BlobData = z.infer<typeof BlobData>;

export const CreateBlobRequest = z
  .object({
    property: z.string().min(1),
    type: BucketSchemaFieldType,
    data: BlobData.optional(),
    /** Id returned by `PUT /v1/uploads/{filename}` (raw upload). */
    upload_id: z.string().min(1).optional(),
    key_prefix: z.string().nullish(),
    metadata: JsonObject.nullish(),
    canonicalize_source: z.boolean().optional(),
    force_remirror: z.boolean().optional(),
  })
  .refine((b) => (b.data === undefined) !== (b.upload_id === undefined), {
    message: "exactly one of data or upload_id is required",
    path: ["data"],
  });
export type CreateBlobRequest = z.infer<typeof CreateBlobRequest>;

const OBJECT_KNOWN_KEYS = new Set(["key_prefix", "metadata", "blobs", "skip_duplicates", "canonicalize_source", "force_remirror"]);

/**
 * Object creation. User fields may come as `metadata: {...}` or at the root (the 2026 API declares
 * `additionalProperties: true`); both parse to `metadata`.
 */
export const CreateObjectRequest = z
  .looseObject({
    key_prefix: z.string().nullish(),
    metadata: JsonObject.nullish(),
    blobs: z.array(CreateBlobRequest).default([]),
    skip_duplicates: z.boolean().optional(),
    canonicalize_source: z.boolean().optional(),
    force_remirror: z.boolean().optional(),
  })
  .transform((v) => {
    const metadata: Record<string, unknown> = { ...(v.metadata ?? {}) };
    for (const [k, val] of Object.entries(v)) if (!OBJECT_KNOWN_KEYS.has(k)) metadata[k] = val;
    return {
      key_prefix: v.key_prefix ?? null,
      metadata,
      blobs: v.blobs,
      skip_duplicates: v.skip_duplicates ?? false,
    };
  });
export type CreateObjectRequest = z.output<typeof CreateObjectRequest>;

export const CreateObjectQuery = z.object({
  policy: WritePolicy.optional(),
  auto_process: z.preprocess((v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v), z.boolean()).optional(),
});

export const BlobResponse = z.object({
  blob_id: z.string(),
  property: z.string(),
  key_prefix: z.string().nullable(),
  type: BucketSchemaFieldType,
  /**
   * Where the bytes are: the URL given at creation, or (uploads) a signed URL to the stored copy.
   * In the store this is the URL or `blob://<key>`; the worker reads it from there.
   */
  data: z.string(),
  properties: JsonObject,
  details: z.object({
    filename: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    mime_type: z.string().nullable(),
    hash: z.string().nullable(),
  }),
});
export type BlobResponse = z.infer<typeof BlobResponse>;

export const ObjectResponse = z.object({
  object_id: z.string(),
  bucket_id: z.string(),
  key_prefix: z.string().nullable(),
  metadata: JsonObject,
  blobs: z.array(BlobResponse),
  source_details: z.array(z.object({ type: z.string(), source_id: z.string() })),
  status: TaskStatus,
  error: z.string().nullable(),
  content_hash: z.string().nullable(),
  /** Set when `?auto_process=true` started processing (scenecap extension). */
  batch_id: z.string().nullable().optional(),
  task_id: z.string().nullable().optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ObjectResponse = z.infer<typeof ObjectResponse>;

/** `POST /v1/buckets/{b}/objects/batch`: up to 100 objects, each validated on its own (partial success). */
export const CreateObjectsBatchRequest = z.object({ objects: z.array(z.unknown()).min(1).max(100) });

export const CreateObjectsBatchResponse = z.object({
  succeeded: z.array(ObjectResponse),
  /** `index` into the request's `objects`; `error` as in the error envelope. */
  failed: z.array(z.object({
    index: z.number().int(),
    error: z.object({ message: z.string(), type: z.string(), status: z.number().int(), details: z.record(z.string(), z.unknown()).optional() }),
  })),
  total: z.number().int(),
  succeeded_count: z.number().int(),
  failed_count: z.number().int(),
});
export type CreateObjectsBatchResponse = z.infer<typeof CreateObjectsBatchResponse>;

/** Answer of the raw upload route. */
export const UploadResponse = z.object({
  upload_id: z.string(),
  filename: z.string(),
  mime_type: z.string(),
  size_bytes: z.number().int(),
  sha256: z.string(),
});
export type UploadResponse = z.infer<typeof UploadResponse>;

/** `POST /v1/buckets/{b}/uploads`: start a presigned upload (PUT the bytes to `presigned_url`, then confirm). */
export const CreateUploadRequest = z.object({
  filename: z.string().min(1).max(255),
  content_type: z.string().min(1).max(255),
  file_size_bytes: z.number().int().positive().nullish(),
  /** Seconds the presigned URL stays valid. @defaultValue 3600 */
  presigned_url_expiration: z.number().int().min(60).max(7 * 86_400).default(3600),
  metadata: JsonObject.nullish(),
  /** @defaultValue true */
  create_object_on_confirm: z.boolean().default(true),
  object_metadata: JsonObject.nullish(),
  /** Bucket field the object's blob fills (default: the first field of the blob's type, else of video/image type). */
  blob_property: z.string().min(1).nullish(),
  blob_type: BucketSchemaFieldType.nullish(),
  /** sha256 (hex) the uploaded bytes must have. */
  file_hash: z.string().regex(/^[0-9a-fA-F]{64}$/, "sha256 hex expected").nullish(),
  skip_duplicates: z.boolean().optional(),
});
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;

export const UploadSessionResponse = z.object({
  upload_id: z.string(),
  bucket_id: z.string(),
  filename: z.string(),
  content_type: z.string(),
  status: z.enum(["PENDING", "UPLOADED", "COMPLETED"]),
  presigned_url: z.string().nullable(),
  /** HTTP method for `presigned_url`. */
  method: z.literal("PUT"),
  expires_at: Timestamp.nullable(),
  file_size_bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  create_object_on_confirm: z.boolean(),
  object_id: z.string().nullable(),
  created_at: Timestamp,
});
export type UploadSessionResponse = z.infer<typeof UploadSessionResponse>;

export const ConfirmUploadResponse = UploadSessionResponse.extend({ object: ObjectResponse.nullable() });

// ── batches ────────────────────────────────────────────────────────────────────────────────────────

export const CreateBatchRequest = z.object({
  object_ids: z.array(z.string().min(1)).min(1).max(10_000),
  batch_name: z.string().max(200).nullish(),
  /** Restrict processing to these collections (default: every collection sourced from the bucket). */
  collection_ids: z.array(z.string().min(1)).nullish(),
  metadata: JsonObject.nullish(),
});
export type CreateBatchRequest = z.infer<typeof CreateBatchRequest>;

export const SubmitBatchRequest = z
  .object({
    include_processing_history: z.boolean().optional(),
    collection_ids: z.array(z.string().min(1)).nullish(),
  })
  .default({});
export type SubmitBatchRequest = z.infer<typeof SubmitBatchRequest>;

export const BatchResponse = z.object({
  batch_id: z.string(),
  batch_name: z.string().nullable(),
  bucket_id: z.string(),
  status: TaskStatus,
  object_ids: z.array(z.string()),
  collection_ids: z.array(z.string()),
  error: z.string().nullable(),
  error_summary: JsonObject.nullable(),
  type: z.literal("BUCKET"),
  task_id: z.string().nullable(),
  loaded_object_ids: z.array(z.string()),
  metadata: JsonObject,
  tier_tasks: z.array(JsonObject),
  current_tier: z.number().int().nullable(),
  total_tiers: z.number().int(),
  dag_tiers: z.array(z.array(z.string())),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type BatchResponse = z.infer<typeof BatchResponse>;
