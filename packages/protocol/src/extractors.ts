import { z } from "zod";

/** The one extractor scenecap ships: BLIP-2 captions per video scene (or per image). */
export const SCENE_DESCRIPTION = {
  name: "scene_description",
  version: "v1",
  id: "scene_description_v1",
  /** Output (index) name, in the `google_siglip_base_v1` style of Mixpeek feature URIs. */
  output: "salesforce_blip2_v1",
  featureUri: "mixpeek://scene_description@v1/salesforce_blip2_v1",
  defaultModelId: "Salesforce/blip2-opt-2.7b",
} as const;

/**
 * Parameters of `scene_description` v1 (`feature_extractor.parameters` of a collection). Shared by the server
 * (validation at collection creation, registry) and the worker (which parses them again before a job runs).
 */
export const SceneDescriptionParams = z.object({
  /** Optional discriminator some clients send (`extractor_type`). */
  extractor_type: z.literal("scene_description").optional(),
  /** Hugging Face model id (resolved under the models directory) or an absolute checkpoint path. @defaultValue "Salesforce/blip2-opt-2.7b" */
  model_id: z.string().min(1).default(SCENE_DESCRIPTION.defaultModelId),
  /** A question turns captions into VQA answers (`Question: {prompt} Answer:`); absent = plain captioning. */
  prompt: z.string().min(1).max(500).optional(),
  /** @defaultValue 20 */
  max_new_tokens: z.number().int().min(1).max(512).default(20),
  /** @defaultValue 0 */
  min_new_tokens: z.number().int().min(0).max(512).default(0),
  /** 1 = greedy. @defaultValue 1 */
  num_beams: z.number().int().min(1).max(16).default(1),
  /** @defaultValue "time" */
  split_method: z.enum(["time", "scene"]).default("time"),
  /** Segment length in seconds for `split_method: "time"`. @defaultValue 10 */
  time_split_interval: z.number().positive().max(86_400).default(10),
  /** 0–1, lower ⇒ more scenes; null = automatic. @defaultValue null */
  scene_detection_threshold: z.number().min(0).max(1).nullable().default(null),
  /** Longer scenes are subdivided (seconds). @defaultValue 30 */
  max_segment_duration: z.number().positive().max(86_400).default(30),
  /** Frames captioned per segment. @defaultValue 1 */
  frames_per_segment: z.number().int().min(1).max(16).default(1),
}).refine((p) => p.min_new_tokens <= p.max_new_tokens, {
  message: "min_new_tokens must not exceed max_new_tokens",
  path: ["min_new_tokens"],
});
export type SceneDescriptionParams = z.infer<typeof SceneDescriptionParams>;
export type SceneDescriptionParamsInput = z.input<typeof SceneDescriptionParams>;

export const VectorIndexDefinition = z.object({
  feature_uri: z.string(),
  name: z.string(),
  description: z.string(),
  type: z.enum(["single", "multi"]),
  index: z.looseObject({
    name: z.string(),
    description: z.string(),
    dimensions: z.number().int(),
    type: z.string(),
    distance: z.string(),
    datatype: z.string(),
    supported_inputs: z.array(z.string()),
    inference_service_id: z.string(),
    purpose: z.string(),
  }),
});
export type VectorIndexDefinition = z.infer<typeof VectorIndexDefinition>;

/** Mixpeek `FeatureExtractorResponseModel`. */
export const FeatureExtractorResponse = z.object({
  feature_extractor_name: z.string(),
  version: z.string(),
  feature_extractor_id: z.string(),
  description: z.string(),
  icon: z.string(),
  source: z.enum(["builtin", "custom", "community"]),
  input_schema: z.record(z.string(), z.unknown()),
  output_schema: z.record(z.string(), z.unknown()),
  parameter_schema: z.record(z.string(), z.unknown()),
  supported_input_types: z.array(z.string()),
  max_inputs: z.record(z.string(), z.number()),
  default_parameters: z.record(z.string(), z.unknown()),
  required_vector_indexes: z.array(VectorIndexDefinition),
  required_payload_indexes: z.array(z.unknown()),
  position_fields: z.array(z.string()),
});
export type FeatureExtractorResponse = z.infer<typeof FeatureExtractorResponse>;

/** Root fields of every document `scene_description` writes (besides passthrough fields and `_internal`). */
export const SceneDocumentFields = z.object({
  start_time: z.number(),
  end_time: z.number(),
  description: z.string(),
  thumbnail_url: z.string().optional(),
  source_video_url: z.string().optional(),
});

/** Parses `mixpeek://extractor@version/output` (output optional). */
export function parseFeatureUri(uri: string): { extractor: string; version: string; output: string | null } | null {
  const m = /^mixpeek:\/\/([A-Za-z0-9_.-]+)@([A-Za-z0-9_.-]+)(?:\/([A-Za-z0-9_.-]+))?\/?$/.exec(uri.trim());
  if (!m) return null;
  return { extractor: m[1]!, version: m[2]!, output: m[3] ?? null };
}
