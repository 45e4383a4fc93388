import { z } from "zod";
import { JsonObject, ResourceName, Timestamp } from "./common.js";
import { FilterInput } from "./filters.js";
import { VectorIndexDefinition } from "./extractors.js";

export const FieldPassthrough = z.union([
  z.string().min(1).transform((source_path) => ({ source_path, target_path: null as string | null | undefined })),
  z.object({
    source_path: z.string().min(1),
    target_path: z.string().nullish(),
    default: z.unknown().optional(),
    required: z.boolean().optional(),
  }),
]);

/**
 * Extractor config of a collection. Lenient: the marketing/SDK form `{name, version, params}` is accepted
 * beside the SPEC form `{feature_extractor_name, version, parameters}`.
 */
export const FeatureExtractorConfigInput = z
  .object({
    feature_extractor_name: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    version: z.string().min(1).default("v1"),
    parameters: JsonObject.nullish(),
    params: JsonObject.nullish(),
    input_mappings: z.union([JsonObject, z.array(JsonObject)]).nullish(),
    field_passthrough: z.array(FieldPassthrough).nullish(),
    include_all_source_fields: z.boolean().optional(),
  })
  .transform((v, ctx) => {
    const name = v.feature_extractor_name ?? v.name;
    if (!name) {
      ctx.addIssue({ code: "custom", message: "feature_extractor_name is required", path: ["feature_extractor_name"] });
      return z.NEVER;
    }
    return {
      feature_extractor_name: name,
      version: v.version,
      parameters: { ...(v.params ?? {}), ...(v.parameters ?? {}) },
      input_mappings: v.input_mappings ?? undefined,
      field_passthrough: v.field_passthrough ?? [],
      include_all_source_fields: v.include_all_source_fields ?? true,
    };
  });
export type FeatureExtractorConfig = z.output<typeof FeatureExtractorConfigInput>;

/** `source`. Lenient: `bucket_id` ⇄ `bucket_ids`, `collection_id` ⇄ `collection_ids`. */
export const SourceConfigInput = z
  .object({
    type: z.enum(["bucket", "collection", "taxonomy", "cluster"]).default("bucket"),
    bucket_ids: z.array(z.string().min(1)).nullish(),
    bucket_id: z.string().min(1).nullish(),
    collection_id: z.string().min(1).nullish(),
    collection_ids: z.array(z.string().min(1)).nullish(),
    source_filters: z.object({ filters: FilterInput.optional() }).nullish(),
  })
  .transform((v, ctx) => {
    const bucket_ids = [...(v.bucket_ids ?? []), ...(v.bucket_id ? [v.bucket_id] : [])];
    const collection_ids = [...(v.collection_ids ?? []), ...(v.collection_id ? [v.collection_id] : [])];
    if (v.type === "bucket" && bucket_ids.length === 0) {
      ctx.addIssue({ code: "custom", message: "bucket_ids is required for a bucket source", path: ["bucket_ids"] });
      return z.NEVER;
    }
    if (v.type !== "bucket") {
      ctx.addIssue({ code: "custom", message: `source type "${v.type}" is not supported; use "bucket"`, path: ["type"] });
      return z.NEVER;
    }
    return {
      type: v.type,
      bucket_ids: [...new Set(bucket_ids)],
      ...(collection_ids.length ? { collection_ids } : {}),
      ...(v.source_filters?.filters ? { source_filters: { filters: v.source_filters.filters } } : {}),
    };
  });
export type SourceConfig = z.output<typeof SourceConfigInput>;

/** Collection creation. Lenient: `feature_extractors: [one]` ⇄ `feature_extractor`. */
export const CreateCollectionRequest = z
  .object({
    collection_name: ResourceName,
    description: z.string().max(2000).nullish(),
    source: SourceConfigInput,
    feature_extractor: FeatureExtractorConfigInput.optional(),
    feature_extractors: z.array(FeatureExtractorConfigInput).optional(),
    input_schema: JsonObject.nullish(),
    enabled: z.boolean().optional(),
    metadata: JsonObject.nullish(),
    taxonomy_applications: z.array(z.unknown()).nullish(),
    cluster_applications: z.array(z.unknown()).nullish(),
    alert_applications: z.array(z.unknown()).nullish(),
  })
  .transform((v, ctx) => {
    const list = [...(v.feature_extractor ? [v.feature_extractor] : []), ...(v.feature_extractors ?? [])];
    if (list.length === 0) {
      ctx.addIssue({ code: "custom", message: "feature_extractor is required", path: ["feature_extractor"] });
      return z.NEVER;
    }
    if (list.length > 1) {
      ctx.addIssue({
        code: "custom",
        message: "a collection has exactly one feature extractor; create one collection per extractor",
        path: ["feature_extractors"],
      });
      return z.NEVER;
    }
    return {
      collection_name: v.collection_name,
      description: v.description ?? null,
      source: v.source,
      feature_extractor: list[0]!,
      input_schema: v.input_schema ?? null,
      enabled: v.enabled ?? true,
      metadata: v.metadata ?? {},
      taxonomy_applications: v.taxonomy_applications ?? [],
    };
  });
export type CreateCollectionRequest = z.output<typeof CreateCollectionRequest>;

export const UpdateCollectionRequest = z.object({
  collection_name: ResourceName.optional(),
  description: z.string().max(2000).nullish(),
  enabled: z.boolean().optional(),
  metadata: JsonObject.nullish(),
  taxonomy_applications: z.array(z.unknown()).nullish(),
});
export type UpdateCollectionRequest = z.infer<typeof UpdateCollectionRequest>;

export const CollectionResponse = z.object({
  collection_id: z.string(),
  collection_name: z.string(),
  description: z.string().nullable(),
  input_schema: JsonObject.nullable(),
  output_schema: JsonObject,
  feature_extractor: z.looseObject({
    feature_extractor_name: z.string(),
    version: z.string(),
    feature_extractor_id: z.string(),
    parameters: JsonObject,
  }),
  source: z.looseObject({ type: z.string(), bucket_ids: z.array(z.string()) }),
  source_bucket_schemas: JsonObject.optional(),
  source_lineage: z.array(JsonObject),
  vector_indexes: z.array(VectorIndexDefinition),
  payload_indexes: z.array(z.unknown()),
  enabled: z.boolean(),
  metadata: JsonObject,
  created_at: Timestamp,
  updated_at: Timestamp,
  document_count: z.number().int(),
  schema_version: z.number().int(),
  last_schema_sync: Timestamp.nullable(),
  schema_sync_enabled: z.boolean(),
  taxonomy_applications: z.array(z.unknown()),
  cluster_applications: z.array(z.unknown()),
  alert_applications: z.array(z.unknown()),
  taxonomy_count: z.number().int(),
  retriever_count: z.number().int(),
});
export type CollectionResponse = z.infer<typeof CollectionResponse>;

export const TriggerCollectionRequest = z
  .object({
    include_buckets: z.array(z.string().min(1)).nullish(),
    include_collections: z.array(z.string().min(1)).nullish(),
    source_filters: z.object({ filters: FilterInput.optional() }).nullish(),
  })
  .default({});
export type TriggerCollectionRequest = z.infer<typeof TriggerCollectionRequest>;

export const TriggerCollectionResponse = z.object({
  batch_id: z.string(),
  task_id: z.string(),
  collection_id: z.string(),
  source_bucket_ids: z.array(z.string()),
  source_collection_ids: z.array(z.string()),
  object_count: z.number().int(),
  document_count: z.number().int(),
  total_tiers: z.number().int(),
  message: z.string(),
});
export type TriggerCollectionResponse = z.infer<typeof TriggerCollectionResponse>;

export const CollectionFeaturesResponse = z.object({
  features: z.array(
    z.object({
      feature_address: z.string(),
      feature_extractor_name: z.string(),
      version: z.string(),
      vector_index: VectorIndexDefinition.shape.index,
      primary: z.boolean(),
    }),
  ),
});
export type CollectionFeaturesResponse = z.infer<typeof CollectionFeaturesResponse>;

// ── documents ──────────────────────────────────────────────────────────────────────────────────────

/** A document on the wire: ids plus user/extractor fields at the root, system fields under `_internal`. */
export const DocumentResponse = z.looseObject({
  document_id: z.string(),
  collection_id: z.string(),
  _internal: JsonObject.optional(),
  document_blobs: z.array(JsonObject).optional(),
});
export type DocumentResponse = z.infer<typeof DocumentResponse>;

/** `POST .../documents`: root fields are the document; `document_id` optional (generated). */
export const CreateDocumentRequest = z
  .looseObject({
    document_id: z.string().min(1).max(200).optional(),
    object_id: z.string().nullish(),
    metadata: JsonObject.nullish(),
    _internal: JsonObject.optional(),
  })
  .transform(({ metadata, ...rest }) => ({ ...(metadata ?? {}), ...rest }));
export type CreateDocumentRequest = z.output<typeof CreateDocumentRequest>;

export const ListDocumentsExtra = {
  return_url: z.boolean().optional(),
  return_vectors: z.boolean().optional(),
  select: z.array(z.string()).nullish(),
  group_by: z.unknown().optional(),
};
