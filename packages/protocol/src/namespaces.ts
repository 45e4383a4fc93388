import { z } from "zod";
import { JsonObject, ResourceName, Timestamp } from "./common.js";

export const NamespaceExtractorRef = z.object({
  feature_extractor_name: z.string().min(1),
  /** @defaultValue "v1" */
  version: z.string().default("v1"),
  params: JsonObject.nullish(),
});

export const CreateNamespaceRequest = z.object({
  namespace_name: ResourceName,
  description: z.string().max(2000).nullish(),
  /** Mixpeek requires ≥1; scenecap has one extractor and accepts none (it is always available). */
  feature_extractors: z.array(NamespaceExtractorRef).default([]),
  payload_indexes: z.array(z.unknown()).nullish(),
  auto_create_indexes: z.boolean().optional(),
  namespace_type: z.string().nullish(),
  infrastructure: JsonObject.nullish(),
  ttl_seconds: z.number().int().positive().nullish(),
});
export type CreateNamespaceRequest = z.infer<typeof CreateNamespaceRequest>;

export const UpdateNamespaceRequest = z.object({
  namespace_name: ResourceName.optional(),
  description: z.string().max(2000).nullish(),
  feature_extractors: z.array(NamespaceExtractorRef).optional(),
});
export type UpdateNamespaceRequest = z.infer<typeof UpdateNamespaceRequest>;

export const NamespaceResponse = z.object({
  namespace_id: z.string(),
  namespace_name: z.string(),
  description: z.string().nullable(),
  feature_extractors: z.array(
    z.object({ feature_extractor_name: z.string(), version: z.string(), feature_extractor_id: z.string(), params: JsonObject.nullable() }),
  ),
  payload_indexes: z.array(z.unknown()),
  document_count: z.number().int(),
  bucket_count: z.number().int(),
  collection_count: z.number().int(),
  object_count: z.number().int(),
  auto_create_indexes: z.boolean(),
  vector_inference_map: JsonObject,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type NamespaceResponse = z.infer<typeof NamespaceResponse>;
