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

export interface RetrieverPublishParams {
  /** URL-safe slug (3–50 of a-z, 0-9, "-"). */
  public_name?: string;
  display_name?: string;
  description?: string;
  /** `exposed_fields` limits the document fields public calls see. */
  display_config?: { exposed_fields?: string[]; [key: string]: unknown };
  rate_limit_config?: {
    enabled?: boolean;
    requests_per_minute?: number;
    requests_per_hour?: number;
    requests_per_day?: number;
    max_results_per_query?: number;
    [key: string]: unknown;
  };
  /** Public calls must send the key as `X-Public-API-Key`. */
  require_api_key?: boolean;
  [key: string]: unknown;
}

export interface PublishedRetriever {
  retriever_id: string;
  public_id?: string;
  public_name: string;
  display_name?: string | null;
  description?: string | null;
  display_config?: Record<string, unknown> | null;
  rate_limit_config?: Record<string, unknown> | null;
  require_api_key?: boolean;
  public_url?: string;
  /** Only in the publish response. */
  public_api_key?: string;
  created_at?: string;
  [key: string]: unknown;
}

export interface PublicRetrieverConfig {
  public_name: string;
  display_name?: string | null;
  description?: string | null;
  display_config?: Record<string, unknown> | null;
  input_schema?: Record<string, unknown>;
  require_api_key?: boolean;
  [key: string]: unknown;
}

function publicHeaders(options: RequestOptions, publicApiKey: string | undefined): RequestOptions {
  return publicApiKey ? { ...options, headers: { ...options.headers, "X-Public-API-Key": publicApiKey } } : options;
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

  /**
   * Publishes a stored retriever under a public name (`public_name`, or a slug of `display_name`). The response
   * carries `public_api_key` once; keep it if the publication requires it.
   */
  async publish(retrieverIdentifier: string, body: RetrieverPublishParams, options?: RequestOptions): Promise<PublishedRetriever> {
    return this._client.post(path`/v1/retrievers/${retrieverIdentifier}/publish`, body, options);
  }

  async getPublished(retrieverIdentifier: string, options?: RequestOptions): Promise<PublishedRetriever> {
    return this._client.get(path`/v1/retrievers/${retrieverIdentifier}/publish`, options);
  }

  async unpublish(retrieverIdentifier: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/retrievers/${retrieverIdentifier}/publish`, options);
  }

  /**
   * Runs a published retriever as the public does: without the account key or namespace, with
   * `X-Public-API-Key` when `publicApiKey` is given.
   */
  async executePublic(
    publicName: string,
    body: RetrieverExecuteParams,
    options?: RequestOptions & { publicApiKey?: string },
  ): Promise<ExecuteResponse> {
    const { publicApiKey, ...requestOptions } = options ?? {};
    const res = await this._client.request<ExecuteResponse>({
      method: "post",
      path: path`/v1/public/retrievers/${publicName}/execute`,
      body,
      anonymous: true,
      options: publicHeaders(requestOptions, publicApiKey),
    });
    return withDocuments(res);
  }

  /** `executePublic` with `stream: true`; see `executeStream`. */
  executePublicStream(
    publicName: string,
    body: RetrieverExecuteParams,
    options?: RequestOptions & { publicApiKey?: string },
  ): AsyncGenerator<RetrieverStreamEvent> {
    const { publicApiKey, ...requestOptions } = options ?? {};
    return parseEvents(
      this._client.streamEvents(path`/v1/public/retrievers/${publicName}/execute`, { ...body, stream: true }, publicHeaders(requestOptions, publicApiKey), true),
    );
  }

  /** The public configuration of a published retriever (names, display configuration, input schema). */
  async publicConfig(publicName: string, options?: RequestOptions & { publicApiKey?: string }): Promise<PublicRetrieverConfig> {
    const { publicApiKey, ...requestOptions } = options ?? {};
    return this._client.request({
      method: "get",
      path: path`/v1/public/retrievers/${publicName}/config`,
      anonymous: true,
      options: publicHeaders(requestOptions, publicApiKey),
    });
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
