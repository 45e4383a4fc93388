import { z } from "zod";
import { JsonObject, ResourceName, Timestamp } from "./common.js";
import { FilterInput } from "./filters.js";

/** `query`: a bare string, or `{input_mode, value}` (legacy `text` key too). Parses to `{input_mode, value}`. */
export const QueryInput = z
  .union([
    z.string(),
    z.object({
      input_mode: z.enum(["text", "content"]).default("text"),
      value: z.string().optional(),
      text: z.string().optional(),
    }),
  ])
  .transform((q, ctx) => {
    if (typeof q === "string") return { input_mode: "text" as const, value: q };
    const value = q.value ?? q.text;
    if (value === undefined) {
      ctx.addIssue({ code: "custom", message: "query needs value (or text)", path: ["value"] });
      return z.NEVER;
    }
    return { input_mode: q.input_mode, value };
  });
export type QueryInput = z.output<typeof QueryInput>;

export const FeatureSearchSearch = z.object({
  feature_uri: z.string().min(1),
  query: QueryInput,
  /** @defaultValue 100 */
  top_k: z.number().int().min(1).max(10_000).default(100),
  min_score: z.number().nullish(),
  /** Weight in fusion. @defaultValue 1 */
  weight: z.number().min(0).default(1),
  /** What an empty query does: fail, or drop this search. @defaultValue "skip" */
  on_empty: z.enum(["error", "skip", "random"]).default("skip"),
  collection_identifiers: z.array(z.string()).nullish(),
  filters: FilterInput.optional(),
});

export const FeatureSearchParams = z.object({
  searches: z.array(FeatureSearchSearch).default([]),
  /** @defaultValue 25 */
  final_top_k: z.number().int().min(1).max(10_000).default(25),
  /** Only rrf and max are implemented; others fall back to rrf. @defaultValue "rrf" */
  fusion: z.enum(["rrf", "dbsf", "weighted", "max", "learned"]).default("rrf"),
  collection_identifiers: z.array(z.string()).nullish(),
  filters: FilterInput.optional(),
});
export type FeatureSearchParams = z.output<typeof FeatureSearchParams>;

/** `attribute_filter`: one condition (`field, operator, value`) or `conditions` (any filter form). */
export const AttributeFilterParams = z
  .object({
    field: z.string().min(1).optional(),
    operator: z.string().optional(),
    value: z.unknown().optional(),
    conditions: z.union([FilterInput, z.array(z.record(z.string(), z.unknown()))]).optional(),
    case_sensitive: z.boolean().optional(),
  })
  .refine((p) => p.field !== undefined || p.conditions !== undefined, {
    message: "attribute_filter needs field/operator/value or conditions",
    path: ["field"],
  });

export const SortRelevanceParams = z.object({
  /** @defaultValue "score" */
  score_field: z.string().default("score"),
  /** @defaultValue "desc" */
  direction: z.enum(["asc", "desc"]).default("desc"),
});

export const SortAttributeParams = z.object({
  field: z.string().min(1),
  /** @defaultValue "desc" */
  direction: z.enum(["asc", "desc"]).default("desc"),
  /** Where documents without the field go. @defaultValue "last" */
  nulls: z.enum(["first", "last"]).default("last"),
});

export const LimitParams = z.object({ limit: z.number().int().min(0), offset: z.number().int().min(0).default(0) });

/** Stage ids this server executes, with their parameter schemas and stage types. */
export const STAGES = {
  feature_search: { type: "filter", params: FeatureSearchParams, description: "Full-text search over the collections' captions; several searches fused with RRF." },
  attribute_filter: { type: "filter", params: AttributeFilterParams, description: "Keep documents whose fields match a filter." },
  sort_relevance: { type: "sort", params: SortRelevanceParams, description: "Sort by score (or another numeric field)." },
  sort_attribute: { type: "sort", params: SortAttributeParams, description: "Sort by a document field." },
  limit: { type: "reduce", params: LimitParams, description: "Keep a window of the results." },
} as const;
export type StageId = keyof typeof STAGES;
export const StageId = z.enum(Object.keys(STAGES) as [StageId, ...StageId[]]);
export const StageType = z.enum(["filter", "sort", "reduce", "apply", "enrich"]);

/**
 * A retriever stage. Lenient: the nested SPEC form `{stage_name, stage_type, config:{stage_id, parameters}}`
 * and the flat form `{stage_type, stage_id, parameters}` parse to the nested one; parameters are validated
 * against the stage's schema (template strings like `{{INPUT.query}}` are kept as given).
 */
export const StageConfigInput = z
  .object({
    stage_name: z.string().min(1).optional(),
    stage_type: StageType.optional(),
    config: z.object({ stage_id: z.string().min(1), parameters: JsonObject.default({}) }).optional(),
    stage_id: z.string().min(1).optional(),
    parameters: JsonObject.optional(),
    description: z.string().nullish(),
    batch_size: z.number().int().nullish(),
  })
  .transform((v, ctx) => {
    const stageId = v.config?.stage_id ?? v.stage_id;
    if (!stageId) {
      ctx.addIssue({ code: "custom", message: "stage needs config.stage_id (or stage_id)", path: ["config", "stage_id"] });
      return z.NEVER;
    }
    const def = (STAGES as Record<string, (typeof STAGES)[StageId]>)[stageId];
    if (!def) {
      ctx.addIssue({
        code: "custom",
        message: `unknown stage_id "${stageId}"; available: ${Object.keys(STAGES).join(", ")}`,
        path: v.config ? ["config", "stage_id"] : ["stage_id"],
      });
      return z.NEVER;
    }
    const parameters = { ...(v.parameters ?? {}), ...(v.config?.parameters ?? {}) };
    const checked = (def.params as z.ZodType).safeParse(parameters);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        ctx.addIssue({ code: "custom", message: issue.message, path: ["config", "parameters", ...issue.path.map(String)] });
      }
      return z.NEVER;
    }
    return {
      stage_name: v.stage_name ?? stageId,
      stage_type: v.stage_type ?? def.type,
      config: { stage_id: stageId as StageId, parameters },
      ...(v.description ? { description: v.description } : {}),
    };
  });
export type StageConfig = z.output<typeof StageConfigInput>;

export const InputSchemaField = z.object({
  type: z.string().default("string"),
  description: z.string().nullish(),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  examples: z.array(z.unknown()).nullish(),
  enum: z.array(z.unknown()).nullish(),
});

/** `input_schema`: a map `{name: field}` or `{properties: {name: field}}`; parses to the map. */
export const InputSchemaInput = z
  .union([z.object({ properties: z.record(z.string(), InputSchemaField) }), z.record(z.string(), InputSchemaField)])
  .transform((v) => ("properties" in v && typeof v.properties === "object" && v.properties !== null && !("type" in v.properties)
    ? (v.properties as Record<string, z.output<typeof InputSchemaField>>)
    : (v as Record<string, z.output<typeof InputSchemaField>>)));

export const BudgetLimits = z.object({ max_credits: z.number().nullish(), max_time_ms: z.number().nullish() });

/** Retriever creation. Lenient: `collection_ids` ⇄ `collection_identifiers`. */
export const CreateRetrieverRequest = z
  .object({
    retriever_name: ResourceName,
    description: z.string().max(2000).nullish(),
    collection_identifiers: z.array(z.string().min(1)).nullish(),
    collection_ids: z.array(z.string().min(1)).nullish(),
    stages: z.array(StageConfigInput).min(1),
    input_schema: InputSchemaInput.nullish(),
    budget_limits: BudgetLimits.nullish(),
    tags: z.array(z.string()).nullish(),
    display_config: JsonObject.nullish(),
  })
  .transform((v) => ({
    retriever_name: v.retriever_name,
    description: v.description ?? null,
    collection_identifiers: [...new Set([...(v.collection_identifiers ?? []), ...(v.collection_ids ?? [])])],
    stages: v.stages,
    input_schema: v.input_schema ?? {},
    budget_limits: v.budget_limits ?? {},
    tags: v.tags ?? [],
    display_config: v.display_config ?? null,
  }));
export type CreateRetrieverRequest = z.output<typeof CreateRetrieverRequest>;

export const RetrieverResponse = z.object({
  retriever_id: z.string(),
  retriever_name: z.string(),
  description: z.string().nullable(),
  collection_ids: z.array(z.string()),
  collection_identifiers: z.array(z.string()),
  stages: z.array(z.object({ stage_name: z.string(), stage_type: z.string(), config: z.object({ stage_id: z.string(), parameters: JsonObject }) })),
  input_schema: JsonObject,
  budget_limits: JsonObject,
  feature_dependencies: z.array(z.string()),
  tags: z.array(z.string()),
  display_config: JsonObject.nullable(),
  version: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type RetrieverResponse = z.infer<typeof RetrieverResponse>;

/** Created retriever, as `retriever` (SPEC) and with the id at the top (what scripts read). */
export const CreateRetrieverResponse = z.object({ retriever: RetrieverResponse, retriever_id: z.string(), retriever_name: z.string() });

export const ExecutePagination = z
  .union([
    z.object({ method: z.literal("offset"), page_size: z.number().int().min(1).max(1000).default(10), page_number: z.number().int().min(1).default(1) }),
    z.object({ method: z.literal("cursor").optional(), limit: z.number().int().min(1).max(1000).default(20), cursor: z.string().nullish() }),
    z.object({ method: z.literal("keyset"), limit: z.number().int().min(1).max(1000).default(10), after: z.string().nullish() }),
    z.object({ method: z.literal("scroll"), limit: z.number().int().min(1).max(1000).default(100), scroll_id: z.string().nullish() }),
  ]);

export const ExecuteRetrieverRequest = z.object({
  inputs: JsonObject.default({}),
  pagination: ExecutePagination.nullish(),
  /** react-searchkit style `settings: {limit}`. */
  settings: z.looseObject({ limit: z.number().int().min(1).max(1000).optional() }).nullish(),
  /** Extra filter applied to every search of this execution. */
  filters: FilterInput.optional(),
  stream: z.boolean().default(false),
});
export type ExecuteRetrieverRequest = z.output<typeof ExecuteRetrieverRequest>;

export const AdhocExecuteRequest = z
  .object({
    collection_identifiers: z.array(z.string().min(1)).nullish(),
    collection_ids: z.array(z.string().min(1)).nullish(),
    input_schema: InputSchemaInput.nullish(),
    stages: z.array(StageConfigInput).min(1),
    inputs: JsonObject.default({}),
    budget_limits: BudgetLimits.nullish(),
    pagination: ExecutePagination.nullish(),
    settings: z.looseObject({ limit: z.number().int().min(1).max(1000).optional() }).nullish(),
    filters: FilterInput.optional(),
    stream: z.boolean().default(false),
  })
  .transform((v) => ({
    ...v,
    collection_identifiers: [...new Set([...(v.collection_identifiers ?? []), ...(v.collection_ids ?? [])])],
    input_schema: v.input_schema ?? {},
  }));
export type AdhocExecuteRequest = z.output<typeof AdhocExecuteRequest>;

/** A result document: the stored document plus `score` and (full-text matches) `highlight`. */
export const RetrievedDocument = z.looseObject({
  document_id: z.string(),
  collection_id: z.string(),
  score: z.number(),
  /** Snippet of the matched text with matches wrapped in `<em>…</em>`. */
  highlight: z.string().optional(),
});
export type RetrievedDocument = z.infer<typeof RetrievedDocument>;

export const StageStatistics = z.object({
  input_count: z.number().int(),
  output_count: z.number().int(),
  duration_ms: z.number(),
  efficiency: z.number(),
  cache_hit: z.boolean(),
});

export const ExecuteResponse = z.object({
  execution_id: z.string(),
  status: z.literal("completed"),
  documents: z.array(RetrievedDocument),
  results: z.array(RetrievedDocument).optional(),
  pagination: z.object({
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    has_next: z.boolean(),
    has_previous: z.boolean(),
    page_size: z.number().int(),
    page_number: z.number().int(),
    next_cursor: z.string().nullable(),
  }),
  stage_statistics: z.object({ stages: z.record(z.string(), StageStatistics), total_time_ms: z.number(), credits_used: z.number() }),
  budget: z.object({ credits_used: z.number(), credits_remaining: z.number().nullable(), time_used_ms: z.number() }),
  optimization_applied: z.boolean(),
  optimization_summary: z.null(),
  error: z.null(),
});
export type ExecuteResponse = z.infer<typeof ExecuteResponse>;

// ── published (public) retrievers ─────────────────────────────────────────────────────────────────

/** URL-safe slug of a published retriever (`/v1/public/retrievers/{public_name}/…`). */
export const PublicName = z
  .string()
  .min(3)
  .max(50)
  .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, "lowercase letters, digits and hyphens, starting and ending with a letter or digit");

/** Limits on public calls. Counted per server process (fixed windows); the page size is capped at max_results_per_query. */
export const RateLimitConfig = z.looseObject({
  enabled: z.boolean().default(true),
  requests_per_minute: z.number().int().min(1).nullish(),
  requests_per_hour: z.number().int().min(1).nullish(),
  requests_per_day: z.number().int().min(1).nullish(),
  max_results_per_query: z.number().int().min(1).max(1000).default(100),
});
export type RateLimitConfig = z.output<typeof RateLimitConfig>;

export const PublishRetrieverRequest = z
  .object({
    public_name: PublicName.optional(),
    /** Human-readable name; the slug is derived from it when public_name is absent. */
    display_name: z.string().min(1).max(100).optional(),
    description: z.string().max(500).nullish(),
    /** Free-form UI configuration; `exposed_fields` limits the document fields public calls return. */
    display_config: z.looseObject({ exposed_fields: z.array(z.string().min(1)).optional() }).nullish(),
    rate_limit_config: RateLimitConfig.nullish(),
    /** Public calls must send the returned key as X-Public-API-Key (otherwise the key is optional). @defaultValue false */
    require_api_key: z.boolean().default(false),
  })
  .refine((v) => v.public_name !== undefined || v.display_name !== undefined, {
    message: "public_name or display_name is required",
    path: ["public_name"],
  });
export type PublishRetrieverRequest = z.output<typeof PublishRetrieverRequest>;

export const PublishedRetrieverResponse = z.object({
  retriever_id: z.string(),
  public_id: z.string(),
  public_name: z.string(),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  display_config: JsonObject.nullable(),
  rate_limit_config: JsonObject.nullable(),
  require_api_key: z.boolean(),
  /** POST here with {inputs} (X-Public-API-Key optional unless require_api_key). */
  public_url: z.string(),
  created_at: Timestamp,
  /** Only in the publish response: store it, it is not shown again. */
  public_api_key: z.string().optional(),
});
export type PublishedRetrieverResponse = z.infer<typeof PublishedRetrieverResponse>;

/** What a public page needs to render its search form. */
export const PublicRetrieverConfigResponse = z.object({
  public_name: z.string(),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  display_config: JsonObject.nullable(),
  input_schema: JsonObject,
  require_api_key: z.boolean(),
});

/**
 * One event of a streamed execution (`stream: true`): sent as `data: <json>` server-sent events, in order
 * `stage_start` / `stage_complete` (or `stage_error`) per stage, then `execution_complete` (final page) or
 * `execution_error`, then `data: [DONE]`.
 */
export const RetrieverStreamEvent = z.object({
  event_type: z.enum(["stage_start", "stage_complete", "stage_error", "execution_complete", "execution_error"]),
  execution_id: z.string(),
  stage_name: z.string().optional(),
  stage_index: z.number().int().optional(),
  total_stages: z.number().int(),
  /** stage_complete: the stage's output; execution_complete: the requested page. */
  documents: z.array(RetrievedDocument).optional(),
  statistics: StageStatistics.optional(),
  pagination: ExecuteResponse.shape.pagination.optional(),
  error: z.object({ message: z.string(), type: z.string(), status: z.number().int() }).optional(),
});
export type RetrieverStreamEvent = z.infer<typeof RetrieverStreamEvent>;

export const StageDefinitionResponse = z.object({
  stage_id: z.string(),
  stage_type: StageType,
  description: z.string(),
  parameter_schema: JsonObject,
});
