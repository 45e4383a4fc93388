import {
  AttributeFilterParams, FeatureSearchParams, LimitParams, SortAttributeParams, SortRelevanceParams,
  decodeCursor, encodeCursor, getPath, matchesFilter, normalizeFilters, FilterSyntaxError,
  type ExecuteResponse, type LogicalOperator, type RetrieverStreamEvent, type StageConfig,
} from "@scenecap/protocol";
import type { ResourceRecord } from "@scenecap/store";
import type { z } from "zod";
import type { AppContext } from "../context.js";
import { ApiError, toApiError } from "../errors.js";
import { newId } from "../ids.js";
import { documentView } from "../views.js";
import { featureUriMatches } from "./extractors.js";

type Doc = Record<string, unknown> & { document_id: string; collection_id: string; score: number; highlight?: string };

const TEMPLATE = /\{\{\s*(INPUTS?)\.([A-Za-z0-9_.-]+)\s*\}\}/gi;
const WHOLE_TEMPLATE = /^\{\{\s*(INPUTS?)\.([A-Za-z0-9_.-]+)\s*\}\}$/i;

/** Replaces `{{INPUT.x}}` (and `{{inputs.x}}`) in every string of a parameter tree. */
export function renderTemplates(value: unknown, inputs: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole) return getPath(inputs, whole[2]!) ?? "";
    return value.replace(TEMPLATE, (_m, _ns, key: string) => {
      const v = getPath(inputs, key);
      return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => renderTemplates(v, inputs));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderTemplates(v, inputs);
    return out;
  }
  return value;
}

function and(...filters: Array<LogicalOperator | undefined>): LogicalOperator | undefined {
  const present = filters.filter((f): f is LogicalOperator => !!f);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return { AND: present };
}

function parseStageParams<S extends z.ZodType>(schema: S, raw: unknown, stageIndex: number): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApiError.validation(parsed.error, "parameters", ["stages", stageIndex, "config", "parameters"]);
  return parsed.data;
}

export interface ExecuteInput {
  ns: string;
  /** Resolved collection ids the retriever targets (all of the namespace when empty). */
  collectionIds: string[];
  stages: StageConfig[];
  inputSchema: Record<string, { required?: boolean; default?: unknown }>;
  inputs: Record<string, unknown>;
  filters?: LogicalOperator;
  page: { limit: number; offset: number };
}

/** Resolves collection ids or names of a namespace (404 for unknown ones). */
export async function resolveCollections(ctx: AppContext, ns: string, identifiers: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ident of identifiers) ids.push((await ctx.mustGet("collection", ns, ident, "Collection")).id);
  return [...new Set(ids)];
}

export type ExecuteResult = Omit<ExecuteResponse, "documents"> & { documents: Doc[] };

/** Runs a stored retriever record (its collections must still exist: 404 otherwise). */
export async function executeStoredRetriever(
  ctx: AppContext,
  ns: string,
  rec: ResourceRecord,
  request: { inputs: Record<string, unknown>; filters?: LogicalOperator | undefined; page: { limit: number; offset: number } },
  onEvent?: (e: RetrieverStreamEvent) => void,
): Promise<ExecuteResult> {
  const collectionIds = (rec.data.collection_ids as string[]) ?? [];
  for (const id of collectionIds) await ctx.mustGet("collection", ns, id, "Collection");
  return executeStages(ctx, {
    ns,
    collectionIds,
    stages: rec.data.stages as StageConfig[],
    inputSchema: (rec.data.input_schema as Record<string, { required?: boolean; default?: unknown }>) ?? {},
    inputs: request.inputs,
    ...(request.filters ? { filters: request.filters } : {}),
    page: request.page,
  }, onEvent);
}

/** Error fields of a stream event. */
export function streamError(err: unknown): NonNullable<RetrieverStreamEvent["error"]> {
  const e = toApiError(err);
  return { message: e.message, type: e.toEnvelope().error.type, status: e.status };
}

/**
 * Runs a stage pipeline and pages the final documents. `onEvent` receives stage_start / stage_complete /
 * stage_error as the stages run (input validation fails before the first event).
 */
export async function executeStages(ctx: AppContext, input: ExecuteInput, onEvent?: (e: RetrieverStreamEvent) => void): Promise<ExecuteResult> {
  const started = performance.now();
  const executionId = newId.execution();
  const emit = onEvent ?? (() => {});
  const stageEvent = (event_type: RetrieverStreamEvent["event_type"], i: number) => ({
    event_type, execution_id: executionId, stage_name: input.stages[i]!.stage_name, stage_index: i, total_stages: input.stages.length,
  });
  const inputs: Record<string, unknown> = { ...input.inputs };
  for (const [name, field] of Object.entries(input.inputSchema)) {
    if (inputs[name] === undefined && field.default !== undefined) inputs[name] = field.default;
    if (field.required && (inputs[name] === undefined || inputs[name] === "")) {
      throw new ApiError("validation", `Missing required input "${name}"`, {
        validation_errors: [{ loc: ["body", "inputs", name], path: `inputs.${name}`, message: "required input missing", type: "missing" }],
      });
    }
  }
  const allCollections = input.collectionIds.length ? input.collectionIds : (await ctx.listAll("collection", input.ns)).map((c) => c.id);
  let docs: Doc[] | null = null;
  const stats: Record<string, { input_count: number; output_count: number; duration_ms: number; efficiency: number; cache_hit: boolean }> = {};

  const listDocuments = async (collections: string[], filters: LogicalOperator | undefined, limit: number): Promise<Doc[]> => {
    const out: Doc[] = [];
    for (const c of collections) {
      const page = await ctx.store.documents.list(input.ns, c, { filters, limit, offset: 0 });
      for (const d of page.items) out.push({ ...documentView(d), score: 0 } as Doc);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  };

  for (const [i, stage] of input.stages.entries()) {
    const t0 = performance.now();
    const before = docs?.length ?? 0;
    emit(stageEvent("stage_start", i));
    try {
      docs = await runStage(i, stage, docs);
    } catch (err) {
      emit({ ...stageEvent("stage_error", i), error: streamError(err) });
      throw err;
    }
    const duration = performance.now() - t0;
    stats[stage.stage_name] = {
      input_count: before,
      output_count: docs?.length ?? 0,
      duration_ms: Math.round(duration * 100) / 100,
      efficiency: before > 0 ? (docs?.length ?? 0) / before : 0,
      cache_hit: false,
    };
    emit({ ...stageEvent("stage_complete", i), documents: docs ?? [], statistics: stats[stage.stage_name] });
  }

  const all = docs ?? [];
  const { limit, offset } = input.page;
  const pageDocs = all.slice(offset, offset + limit);
  const total = all.length;
  const totalMs = Math.round((performance.now() - started) * 100) / 100;
  return {
    execution_id: executionId,
    status: "completed",
    documents: pageDocs,
    pagination: {
      total,
      limit,
      offset,
      has_next: offset + limit < total,
      has_previous: offset > 0,
      page_size: limit,
      page_number: Math.floor(offset / limit) + 1,
      next_cursor: offset + limit < total ? encodeCursor(offset + limit) : null,
    },
    stage_statistics: { stages: stats, total_time_ms: totalMs, credits_used: 0 },
    budget: { credits_used: 0, credits_remaining: null, time_used_ms: totalMs },
    optimization_applied: false,
    optimization_summary: null,
    error: null,
  };

  /** One stage over the previous stage's documents (null before any stage produced some). */
  async function runStage(i: number, stage: StageConfig, docs: Doc[] | null): Promise<Doc[] | null> {
    const params = renderTemplates(stage.config.parameters, inputs);
    switch (stage.config.stage_id) {
      case "feature_search": {
        const p = parseStageParams(FeatureSearchParams, params, i);
        const stageCollections = p.collection_identifiers?.length
          ? await resolveCollections(ctx, input.ns, p.collection_identifiers)
          : allCollections;
        const ranked: Array<{ hits: Doc[]; weight: number }> = [];
        for (const [j, s] of p.searches.entries()) {
          if (!featureUriMatches(s.feature_uri)) {
            throw new ApiError(
              "bad_request",
              `stages[${i}].searches[${j}].feature_uri ${JSON.stringify(s.feature_uri)} is not served here; use mixpeek://scene_description@v1/salesforce_blip2_v1`,
            );
          }
          if (s.query.input_mode !== "text") {
            throw new ApiError("bad_request", `stages[${i}].searches[${j}].query: only text queries are supported (input_mode "text")`);
          }
          const text = String(s.query.value ?? "").trim();
          if (text === "") {
            if (s.on_empty === "error") throw new ApiError("bad_request", `stages[${i}].searches[${j}].query is empty`);
            continue;
          }
          const collections = s.collection_identifiers?.length ? await resolveCollections(ctx, input.ns, s.collection_identifiers) : stageCollections;
          const res = await ctx.store.documents.search({
            namespace_id: input.ns,
            collection_ids: collections,
            text,
            filters: and(input.filters, p.filters, s.filters),
            limit: s.top_k,
            offset: 0,
          });
          let hits = res.items.map((h) => ({ ...documentView(h.document), score: h.score, highlight: h.highlight }) as Doc);
          if (s.min_score !== undefined && s.min_score !== null) hits = hits.filter((h) => h.score >= s.min_score!);
          ranked.push({ hits, weight: s.weight });
        }
        let result: Doc[];
        if (ranked.length === 0) {
          // Filter-only mode: no (non-empty) searches.
          result = await listDocuments(stageCollections, and(input.filters, p.filters), p.final_top_k);
        } else if (ranked.length === 1) {
          result = ranked[0]!.hits;
        } else {
          const fused = new Map<string, Doc>();
          for (const { hits, weight } of ranked) {
            hits.forEach((h, rank) => {
              const key = `${h.collection_id}\u0000${h.document_id}`;
              const contribution = p.fusion === "max" ? h.score * weight : weight / (60 + rank + 1);
              const prev = fused.get(key);
              if (!prev) fused.set(key, { ...h, score: contribution });
              else prev.score = p.fusion === "max" ? Math.max(prev.score, contribution) : prev.score + contribution;
            });
          }
          result = [...fused.values()].sort((a, b) => b.score - a.score);
        }
        if (docs) {
          const keep = new Set(docs.map((d) => `${d.collection_id}\u0000${d.document_id}`));
          result = result.filter((d) => keep.has(`${d.collection_id}\u0000${d.document_id}`));
        }
        docs = result.slice(0, p.final_top_k);
        break;
      }
      case "attribute_filter": {
        const p = parseStageParams(AttributeFilterParams, params, i);
        let filter: LogicalOperator | undefined;
        try {
          if (p.field !== undefined) {
            filter = normalizeFilters({ field: p.field, operator: p.operator ?? "eq", value: p.value, ...(p.case_sensitive !== undefined ? { case_sensitive: p.case_sensitive } : {}) });
          } else if (Array.isArray(p.conditions)) {
            filter = normalizeFilters({ AND: p.conditions });
          } else {
            filter = p.conditions as LogicalOperator | undefined;
          }
        } catch (e) {
          if (e instanceof FilterSyntaxError) throw new ApiError("bad_request", `stages[${i}]: ${e.message}`);
          throw e;
        }
        docs = docs ? docs.filter((d) => matchesFilter(d, filter)) : await listDocuments(allCollections, and(input.filters, filter), 1000);
        break;
      }
      case "sort_relevance": {
        const p = parseStageParams(SortRelevanceParams, params, i);
        docs = sortBy(docs ?? [], p.score_field, p.direction, "last");
        break;
      }
      case "sort_attribute": {
        const p = parseStageParams(SortAttributeParams, params, i);
        docs = sortBy(docs ?? (await listDocuments(allCollections, input.filters, 1000)), p.field, p.direction, p.nulls);
        break;
      }
      case "limit": {
        const p = parseStageParams(LimitParams, params, i);
        docs = (docs ?? []).slice(p.offset, p.offset + p.limit);
        break;
      }
    }
    return docs;
  }
}

function sortBy(docs: Doc[], field: string, direction: "asc" | "desc", nulls: "first" | "last"): Doc[] {
  const sign = direction === "asc" ? 1 : -1;
  return [...docs].sort((a, b) => {
    const x = getPath(a, field);
    const y = getPath(b, field);
    const xn = x === undefined || x === null;
    const yn = y === undefined || y === null;
    if (xn || yn) return xn && yn ? 0 : (xn ? 1 : -1) * (nulls === "last" ? 1 : -1);
    if (typeof x === "number" && typeof y === "number") return (x - y) * sign;
    return String(x).localeCompare(String(y)) * sign;
  });
}

/** Page window of an execute request: offset / cursor pagination, or `settings.limit`. @defaultValue limit 20 */
export function executePage(
  pagination: { method?: string; page_size?: number; page_number?: number; limit?: number; cursor?: string | null } | null | undefined,
  settings: { limit?: number } | null | undefined,
): { limit: number; offset: number } {
  if (pagination?.method === "offset") {
    const size = pagination.page_size ?? 10;
    return { limit: size, offset: ((pagination.page_number ?? 1) - 1) * size };
  }
  if (pagination) {
    const limit = pagination.limit ?? 20;
    const offset = pagination.cursor ? decodeCursor(pagination.cursor) : 0;
    if (offset === null) throw new ApiError("bad_request", "pagination.cursor is not a cursor this server issued");
    return { limit, offset };
  }
  return { limit: settings?.limit ?? 20, offset: 0 };
}
