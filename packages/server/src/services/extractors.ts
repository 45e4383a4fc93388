import { z } from "zod";
import {
  SCENE_DESCRIPTION, SceneDescriptionParams, parseFeatureUri,
  type FeatureExtractorConfig, type FeatureExtractorResponse, type VectorIndexDefinition,
} from "@scenecap/protocol";
import { ApiError } from "../errors.js";

const INPUT_TYPES = ["video", "image"] as const;

export const sceneVectorIndex: VectorIndexDefinition = {
  feature_uri: SCENE_DESCRIPTION.featureUri,
  name: SCENE_DESCRIPTION.output,
  description: "BLIP-2 scene captions, searched full-text (BM25)",
  type: "single",
  index: {
    name: SCENE_DESCRIPTION.output,
    description: "Full-text index over the description field",
    dimensions: 0,
    type: "full_text",
    distance: "bm25",
    datatype: "text",
    supported_inputs: ["text"],
    inference_service_id: SCENE_DESCRIPTION.defaultModelId,
    purpose: "search",
  },
};

const outputProperties = {
  start_time: { type: "number", description: "Segment start (seconds)" },
  end_time: { type: "number", description: "Segment end (seconds)" },
  description: { type: "text", description: "BLIP-2 caption (or answer, with a prompt)" },
  thumbnail_url: { type: "string", description: "Signed URL of the segment thumbnail" },
  source_video_url: { type: "string", description: "The source the segment was cut from" },
};

/** The registry (`GET /v1/collections/features/extractors`). */
export function extractorRegistry(): FeatureExtractorResponse[] {
  const paramSchema = z.toJSONSchema(SceneDescriptionParams, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete paramSchema.$schema;
  return [
    {
      feature_extractor_name: SCENE_DESCRIPTION.name,
      version: SCENE_DESCRIPTION.version,
      feature_extractor_id: SCENE_DESCRIPTION.id,
      description:
        "Splits videos into segments (fixed interval or scene changes), captions a representative frame of each with BLIP-2 " +
        "(Salesforce/blip2-opt-2.7b) and writes one document per segment; images become one document.",
      icon: "film",
      source: "builtin",
      input_schema: { properties: { video: { type: "video" }, image: { type: "image" } } },
      output_schema: { properties: outputProperties },
      parameter_schema: paramSchema,
      supported_input_types: ["video", "image"],
      max_inputs: { video: 1, image: 1 },
      default_parameters: SceneDescriptionParams.parse({}) as Record<string, unknown>,
      required_vector_indexes: [sceneVectorIndex],
      required_payload_indexes: [],
      position_fields: ["start_time", "end_time"],
    },
  ];
}

export function findExtractor(idOrName: string): FeatureExtractorResponse | undefined {
  return extractorRegistry().find((e) => e.feature_extractor_id === idOrName || e.feature_extractor_name === idOrName);
}

/** Does a `feature_uri` address the scene_description output? (short form without output too) */
export function featureUriMatches(uri: string): boolean {
  const p = parseFeatureUri(uri);
  if (!p) return false;
  return (p.extractor === SCENE_DESCRIPTION.name || p.output === SCENE_DESCRIPTION.output) && (p.output === null || p.output === SCENE_DESCRIPTION.output);
}

type BucketSchemaProps = Record<string, { type: string }>;

/**
 * Validates a collection's extractor against the registry and its source bucket schemas; returns the stored
 * `feature_extractor` (defaults applied) plus the computed output schema and vector indexes.
 */
export function resolveCollectionExtractor(fe: FeatureExtractorConfig, bucketSchemas: BucketSchemaProps[]) {
  if (fe.feature_extractor_name !== SCENE_DESCRIPTION.name || fe.version !== SCENE_DESCRIPTION.version) {
    throw new ApiError(
      "not_found",
      `Feature extractor ${fe.feature_extractor_name} version ${fe.version} not found in registry. Available: ${SCENE_DESCRIPTION.name} ${SCENE_DESCRIPTION.version}.`,
    );
  }
  const params = SceneDescriptionParams.safeParse(fe.parameters);
  if (!params.success) throw ApiError.validation(params.error, "body", ["feature_extractor", "parameters"]);

  let inputMappings: Record<string, string>;
  if (fe.input_mappings && !Array.isArray(fe.input_mappings) && Object.keys(fe.input_mappings).length > 0) {
    inputMappings = {};
    for (const [input, source] of Object.entries(fe.input_mappings)) {
      if (!(INPUT_TYPES as readonly string[]).includes(input)) {
        throw new ApiError("validation", `input_mappings: unknown input "${input}" (expected video or image)`, {
          validation_errors: [{ loc: ["body", "feature_extractor", "input_mappings", input], path: `feature_extractor.input_mappings.${input}`, message: "unknown input", type: "custom" }],
        });
      }
      const field = typeof source === "string" ? source : String((source as { path?: unknown })?.path ?? "");
      for (const schema of bucketSchemas) {
        if (!(field in schema)) {
          throw new ApiError("validation", `input_mappings.${input}: field "${field}" is not in the source bucket schema`, {
            validation_errors: [{ loc: ["body", "feature_extractor", "input_mappings", input], path: `feature_extractor.input_mappings.${input}`, message: "field not in bucket schema", type: "custom" }],
          });
        }
      }
      inputMappings[input] = field;
    }
  } else {
    inputMappings = {};
    const first = bucketSchemas[0] ?? {};
    const video = Object.entries(first).find(([, f]) => f.type === "video");
    const image = Object.entries(first).find(([, f]) => f.type === "image");
    if (video) inputMappings.video = video[0];
    if (image) inputMappings.image = image[0];
    if (!video && !image) {
      throw new ApiError("bad_request", "The source bucket schema has no video or image field for scene_description to read; add one or set feature_extractor.input_mappings");
    }
  }

  const passthrough = fe.field_passthrough.map((p) => ({
    source_path: p.source_path,
    ...(p.target_path ? { target_path: p.target_path } : {}),
    ...("default" in p && p.default !== undefined ? { default: p.default } : {}),
    ...("required" in p && p.required !== undefined ? { required: p.required } : {}),
  }));
  const outputSchema: Record<string, unknown> = { ...outputProperties };
  for (const p of passthrough) outputSchema[(p.target_path ?? p.source_path).replace(/^metadata\./, "")] = { type: "string" };
  return {
    feature_extractor: {
      feature_extractor_name: SCENE_DESCRIPTION.name,
      version: SCENE_DESCRIPTION.version,
      feature_extractor_id: SCENE_DESCRIPTION.id,
      parameters: params.data as Record<string, unknown>,
      input_mappings: inputMappings,
      field_passthrough: passthrough,
      include_all_source_fields: fe.include_all_source_fields,
    },
    output_schema: { properties: outputSchema },
    vector_indexes: [sceneVectorIndex],
  };
}
