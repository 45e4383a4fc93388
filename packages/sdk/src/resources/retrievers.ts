import { APIResource } from "../core/resource.js";
import { MixpeekError } from "../core/errors.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import type { Document } from "./documents.js";
import type { DeleteResponse, ListParams } from "./shared.js";

/** A `feature_search` text or content query. */
export interface SearchQuery {
  input_mode: "text" | "content";
  value: string;
}

export interface StageConfig {
  stage_name: string;
  stage_type?: "filter" | "sort" | "reduce" | "apply" | "enrich" | string;
  config: { stage_id: string; parameters?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface InputSchemaField {
  type: string;
  description?: string;
  required?: boolean;
  default?: unknown;
  [key: string]: unknown;
}

export interface Retriever {
  retriever_id: string;
  retriever_name: string;
  description?: string | null;
  collection_ids?: string[];
  stages?: StageConfig[];
  input_schema?: Record<string, InputSchemaField>;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface RetrieverCreateParams {
  retriever_name: string;
  description?: string;
  collection_identifiers?: string[];
  stages: StageConfig[];
  input_schema?: Record<string, InputSchemaField>;
  budget_limits?: { max_credits?: number; max_time_ms?: number };
  tags?: string[];
  [key: string]: unknown;
}

export interface RetrieverCreateResponse {
  retriever?: Retriever;
  retriever_id?: string;
  [key: string]: unknown;
}

export interface ExecutePagination {
  method?: "cursor" | "offset" | "scroll" | "keyset";
  limit?: number;
  page_size?: number;
  page_number?: number;
  cursor?: string;
  [key: string]: unknown;
}

export interface RetrieverExecuteParams {
  inputs: Record<string, unknown>;
  pagination?: ExecutePagination;
  [key: string]: unknown;
}

export interface AdhocExecuteParams {
  collection_identifiers?: string[];
  input_schema: Record<string, InputSchemaField>;
  stages: StageConfig[];
  inputs: Record<string, unknown>;
  budget_limits?: { max_credits?: number; max_time_ms?: number };
  [key: string]: unknown;
}

/** A search hit: the document's fields plus `score` (and `highlight` where the server adds one). */
export interface ScoredDocument extends Document {
  score?: number;
  highlight?: string;
}

export interface ExecuteResponse {
  execution_id?: string;
  status?: string;
  documents: ScoredDocument[];
  pagination?: Record<string, unknown> | null;
  stage_statistics?: Record<string, unknown> | null;
  budget?: Record<string, unknown> | null;
  error?: unknown;
  [key: string]: unknown;
}

/** One server-sent event of a streamed execution. */
export interface RetrieverStreamEvent {
  event_type: "stage_start" | "stage_complete" | "stage_error" | "execution_complete" | "execution_error" | string;
  execution_id?: string;
  stage_name?: string;
  stage_index?: number;
  total_stages?: number;
  /** stage_complete: the stage's output; execution_complete: the requested page. */
  documents?: ScoredDocument[];
  statistics?: Record<string, unknown>;
  pagination?: Record<string, unknown> | null;
  error?: { message: string; type?: string; status?: number; [key: string]: unknown };
  [key: string]: unknown;
}

async function* parseEvents(data: AsyncIterable<string>): AsyncGenerator<RetrieverStreamEvent> {
  for await (const d of data) {
    let event: RetrieverStreamEvent;
    try {
      event = JSON.parse(d) as RetrieverStreamEvent;
    } catch (err) {
      throw new MixpeekError(`Malformed stream event: ${d.slice(0, 200)}`, { cause: err });
    }
    yield event;
  }
}

export interface StageDefinition {
  stage_id: string;
  stage_type?: string;
  description?: string;
  parameter_schema?: unknown;
  [key: string]: unknown;
}

/** `/v1/retrievers`: stored and ad-hoc search pipelines. */
export class Retrievers extends APIResource {
  async create(body: RetrieverCreateParams, options?: RequestOptions): Promise<RetrieverCreateResponse> {
    return this._client.post("/v1/retrievers", body, options);
  }

  /** By id (`ret_…`) or name. */
  async get(retrieverIdentifier: string, options?: RequestOptions): Promise<Retriever> {
    return this._client.get(path`/v1/retrievers/${retrieverIdentifier}`, options);
  }

  async delete(retrieverIdentifier: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/retrievers/${retrieverIdentifier}`, options);
  }

  list(params?: ListParams, options?: RequestOptions): PagePromise<Retriever> {
    return this._client.getList<Retriever>("/v1/retrievers/list", params, options);
  }

  /** Runs a stored retriever. `documents` falls back to the deprecated `results` alias. */
  async execute(retrieverIdentifier: string, body: RetrieverExecuteParams, options?: RequestOptions): Promise<ExecuteResponse> {
    const res = await this._client.post<ExecuteResponse>(path`/v1/retrievers/${retrieverIdentifier}/execute`, body, options);
    return withDocuments(res);
  }

  /**
   * Runs a stored retriever with `stream: true`: its events as they arrive — `stage_start` / `stage_complete`
   * per stage, then `execution_complete` (the page of documents) or `execution_error`.
   */
  executeStream(retrieverIdentifier: string, body: RetrieverExecuteParams, options?: RequestOptions): AsyncGenerator<RetrieverStreamEvent> {
    return parseEvents(this._client.streamEvents(path`/v1/retrievers/${retrieverIdentifier}/execute`, { ...body, stream: true }, options));
  }

  /** `executeAdhoc` with `stream: true`; see `executeStream`. */
  executeAdhocStream(body: AdhocExecuteParams, options?: RequestOptions): AsyncGenerator<RetrieverStreamEvent> {
    return parseEvents(this._client.streamEvents("/v1/retrievers/execute", { ...body, stream: true }, options));
  }

  /** Runs a pipeline without storing it (`POST /v1/retrievers/execute`). */
  async executeAdhoc(body: AdhocExecuteParams, options?: RequestOptions): Promise<ExecuteResponse> {
    const res = await this._client.post<ExecuteResponse>("/v1/retrievers/execute", body, options);
    return withDocuments(res);
  }

  /** The stage types the server supports. */
  async stages(options?: RequestOptions): Promise<StageDefinition[]> {
    const body = await this._client.get<unknown>("/v1/retrievers/stages", options);
    if (Array.isArray(body)) return body as StageDefinition[];
    const b = body as { stages?: unknown; results?: unknown } | undefined;
    const list = b?.stages ?? b?.results;
    return Array.isArray(list) ? (list as StageDefinition[]) : [];
  }
}

function withDocuments(res: ExecuteResponse): ExecuteResponse {
  const r = (res ?? {}) as ExecuteResponse & { results?: ScoredDocument[] };
  return { ...r, documents: r.documents ?? r.results ?? [] };
}
