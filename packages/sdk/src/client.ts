import axios from "axios";
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { Readable } from "node:stream";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  MixpeekError,
} from "./core/errors.js";
import { Page, PagePromise } from "./core/pagination.js";
import type { PageParams, PageRequest } from "./core/pagination.js";
import { readEnv } from "./internal/env.js";
import { mergeHeaders, normalizeHeaders } from "./internal/headers.js";
import type { HeadersInit } from "./internal/headers.js";
import { sleep } from "./internal/sleep.js";
import { sseData } from "./internal/sse.js";
import { VERSION } from "./version.js";
import { Namespaces } from "./resources/namespaces.js";
import { Buckets } from "./resources/buckets.js";
import { Objects } from "./resources/objects.js";
import { Batches } from "./resources/batches.js";
import { Collections } from "./resources/collections.js";
import { Documents } from "./resources/documents.js";
import { Tasks } from "./resources/tasks.js";
import { FeatureExtractors } from "./resources/feature-extractors.js";
import { Retrievers } from "./resources/retrievers.js";
import { Health } from "./resources/health.js";
import type { Uploads } from "./resources/uploads.js";

/** @defaultValue values below are the ones the code uses; the README repeats them. */
export const DEFAULT_BASE_URL = "https://api.mixpeek.com";
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 8_000;
/** A server-sent `Retry-After` longer than this is ignored in favour of the computed backoff. */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface ClientOptions {
  /** API key sent as `Authorization: Bearer <apiKey>`. @defaultValue `process.env.MIXPEEK_API_KEY` */
  apiKey?: string | undefined;
  /** Server root, without `/v1`. @defaultValue `process.env.MIXPEEK_BASE_URL` ?? `"https://api.mixpeek.com"` */
  baseUrl?: string | undefined;
  /** Namespace id or name sent as `X-Namespace`; `null` sends none. @defaultValue `process.env.MIXPEEK_NAMESPACE` */
  namespace?: string | null | undefined;
  /** Per-attempt timeout in milliseconds. @defaultValue 60000 */
  timeout?: number | undefined;
  /** Retries after the first attempt for retryable failures. @defaultValue 2 */
  maxRetries?: number | undefined;
  /** Exponential backoff bounds in milliseconds (jittered). @defaultValue `{ initialDelay: 500, maxDelay: 8000 }` */
  retryDelay?: { initialDelay?: number; maxDelay?: number } | undefined;
  /** Headers added to every request; `null` removes a default header. */
  defaultHeaders?: HeadersInit | undefined;
  /** Extra axios configuration (e.g. `adapter`, `proxy`); the SDK's own method, url, headers and body win. */
  axiosConfig?: AxiosRequestConfig | undefined;
  /** Agent for `http:` URLs (keep-alive, proxies). */
  httpAgent?: HttpAgent | undefined;
  /** Agent for `https:` URLs. */
  httpsAgent?: HttpsAgent | undefined;
}

/** Options every method accepts as its last argument; they override the client's for that call. */
export interface RequestOptions {
  timeout?: number;
  maxRetries?: number;
  headers?: HeadersInit;
  /** Namespace for this call (`null`: send no `X-Namespace`). */
  namespace?: string | null;
  signal?: AbortSignal;
  /** Extra query parameters. */
  query?: Record<string, unknown>;
}

export type HTTPMethod = "get" | "post" | "put" | "patch" | "delete";

export interface FinalRequest {
  method: HTTPMethod;
  path: string;
  query?: Record<string, unknown> | undefined;
  body?: unknown;
  options?: RequestOptions | undefined;
  /** Endpoints the API declares without `X-Namespace` (namespace create/list, extractors, health). */
  noNamespace?: boolean;
  /** An absolute URL used instead of `baseUrl + path` (a presigned upload target). */
  url?: string;
  /** Send no API key or namespace: a presigned URL authorises itself; public retrievers need no account. */
  anonymous?: boolean;
  /** Resolve to the response body as a byte stream (server-sent events) instead of parsed JSON. */
  streamResponse?: boolean;
  /** A non-JSON body; `open` is called once per attempt, so a retry sends a fresh stream. */
  rawBody?: { contentType: string; contentLength?: number; open: () => unknown; onProgress?: (sent: number) => void };
}

export class Mixpeek {
  /** Not enumerable, so logging or inspecting the client never prints the key. */
  declare readonly apiKey: string;
  readonly baseUrl: string;
  readonly namespace: string | null;
  readonly timeout: number;
  readonly maxRetries: number;

  readonly #options: ClientOptions;
  readonly #axios: AxiosInstance;
  readonly #retryInitial: number;
  readonly #retryMax: number;

  readonly namespaces: Namespaces = new Namespaces(this);
  readonly buckets: Buckets = new Buckets(this);
  /** Same as `buckets.objects`. */
  readonly objects: Objects = this.buckets.objects;
  /** Same as `buckets.batches`. */
  readonly batches: Batches = this.buckets.batches;
  /** Same as `buckets.uploads`. */
  readonly uploads: Uploads = this.buckets.uploads;
  readonly collections: Collections = new Collections(this);
  /** Same as `collections.documents`. */
  readonly documents: Documents = this.collections.documents;
  readonly tasks: Tasks = new Tasks(this);
  readonly featureExtractors: FeatureExtractors = new FeatureExtractors(this);
  readonly retrievers: Retrievers = new Retrievers(this);
  readonly health: Health = new Health(this);

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? readEnv("MIXPEEK_API_KEY");
    if (!apiKey) {
      throw new MixpeekError(
        "The MIXPEEK_API_KEY environment variable is missing or empty; either set it or pass the apiKey option: new Mixpeek({ apiKey: '...' })",
      );
    }
    const baseUrl = options.baseUrl ?? readEnv("MIXPEEK_BASE_URL") ?? DEFAULT_BASE_URL;
    const namespace = options.namespace === undefined ? (readEnv("MIXPEEK_NAMESPACE") ?? null) : options.namespace;
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    validateCount("timeout", timeout);
    validateCount("maxRetries", maxRetries);

    Object.defineProperty(this, "apiKey", { value: apiKey, enumerable: false, writable: false, configurable: false });
    this.baseUrl = normalizeBaseUrl(baseUrl);
    this.namespace = namespace;
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this.#retryInitial = options.retryDelay?.initialDelay ?? DEFAULT_RETRY_INITIAL_DELAY_MS;
    this.#retryMax = options.retryDelay?.maxDelay ?? DEFAULT_RETRY_MAX_DELAY_MS;
    this.#options = { ...options, apiKey, baseUrl: this.baseUrl, namespace, timeout, maxRetries };
    this.#axios = axios.create({
      ...options.axiosConfig,
      ...(options.httpAgent ? { httpAgent: options.httpAgent } : {}),
      ...(options.httpsAgent ? { httpsAgent: options.httpsAgent } : {}),
    });
  }

  /** A new client with these options layered over this client's. */
  withOptions(options: ClientOptions): Mixpeek {
    return new Mixpeek({
      ...this.#options,
      ...options,
      retryDelay: { ...this.#options.retryDelay, ...options.retryDelay },
      defaultHeaders: mergeHeaders(this.#options.defaultHeaders, options.defaultHeaders),
    });
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>({ method: "get", path, options });
  }
  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>({ method: "post", path, body, options });
  }
  patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>({ method: "patch", path, body, options });
  }
  put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>({ method: "put", path, body, options });
  }
  delete<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>({ method: "delete", path, options });
  }

  /** `POST <path>?limit&offset` with a JSON filter body, returned as an async-iterable page. */
  getList<Item>(
    path: string | (() => string),
    params: (PageParams & Record<string, unknown>) | undefined,
    options?: RequestOptions,
  ): PagePromise<Item> {
    return new PagePromise(async () => {
      const resolved = typeof path === "function" ? path() : path;
      const { limit, offset, include_total, ...body } = params ?? {};
      if (limit !== undefined) validateCount("limit", limit);
      if (offset !== undefined) validateCount("offset", offset);
      const query: Record<string, unknown> = { limit, offset, include_total };
      return this.requestPage<Item>({ path: resolved, body, query, limit, offset: offset ?? 0, options });
    });
  }

  /** @internal Fetches one page of a list. */
  async requestPage<Item>(request: PageRequest): Promise<Page<Item>> {
    const body = await this.request<unknown>({
      method: "post",
      path: request.path,
      query: request.query,
      body: request.body,
      options: request.options,
    });
    return new Page<Item>(this, request, body);
  }

  /** Sends one request with timeout and retries; resolves to the parsed JSON body. */
  async request<T>(req: FinalRequest): Promise<T> {
    const options = req.options ?? {};
    const maxRetries = options.maxRetries ?? this.maxRetries;
    validateCount("maxRetries", maxRetries);
    for (let retriesLeft = maxRetries; ; retriesLeft--) {
      const attempt = maxRetries - retriesLeft;
      const outcome = await this.#attempt(req, attempt);
      if (outcome.ok) return outcome.data as T;
      const { error, retryable, headers } = outcome;
      if (!retryable || retriesLeft <= 0) throw error;
      await sleep(this.#retryDelay(attempt, headers), options.signal);
    }
  }

  async #attempt(
    req: FinalRequest,
    attempt: number,
  ): Promise<
    | { ok: true; data: unknown }
    | { ok: false; error: APIError; retryable: boolean; headers: Record<string, string> | undefined }
  > {
    const options = req.options ?? {};
    const timeout = options.timeout ?? this.timeout;
    validateCount("timeout", timeout);
    const userSignal = options.signal;
    if (userSignal?.aborted) return { ok: false, error: new APIUserAbortError(), retryable: false, headers: undefined };

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    const onUserAbort = () => controller.abort();
    userSignal?.addEventListener("abort", onUserAbort, { once: true });

    let response: AxiosResponse<unknown>;
    const config = this.#buildConfig(req, attempt, controller.signal);
    try {
      response = await this.#axios.request<unknown>(config);
    } catch (err) {
      if (userSignal?.aborted) return { ok: false, error: new APIUserAbortError(), retryable: false, headers: undefined };
      const code = (err as { code?: unknown }).code;
      if (timedOut || code === "ECONNABORTED" || code === "ETIMEDOUT") {
        return {
          ok: false,
          error: new APIConnectionTimeoutError({ message: `Request timed out after ${timeout} ms.` }),
          retryable: true,
          headers: undefined,
        };
      }
      const target = `${req.method.toUpperCase()} ${req.url ? withoutQuery(req.url) : this.baseUrl + req.path}`;
      const message = `Connection error: ${err instanceof Error && err.message ? err.message : "request failed"} (${target})`;
      return { ok: false, error: new APIConnectionError({ message, cause: safeCause(err) }), retryable: true, headers: undefined };
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener("abort", onUserAbort);
      (config.data as { destroy?: () => void } | undefined)?.destroy?.(); // a file stream left open by a failed attempt
    }

    const headers = normalizeHeaders(response.headers);
    if (req.streamResponse) {
      const body = typeof response.data === "string" ? Readable.from([response.data]) : (response.data as Readable);
      if (response.status >= 200 && response.status < 300) return { ok: true, data: body };
      response.data = await readAll(body);
    }
    const data = parseBody(response.data, headers);
    if (response.status >= 200 && response.status < 300) return { ok: true, data };
    const error = APIError.generate(response.status, data, response.statusText || undefined, headers);
    return { ok: false, error, retryable: shouldRetry(response.status, headers), headers };
  }

  #buildConfig(req: FinalRequest, attempt: number, signal: AbortSignal): AxiosRequestConfig {
    const options = req.options ?? {};
    const namespace = req.noNamespace ? null : options.namespace === undefined ? this.namespace : options.namespace;
    const raw = req.rawBody;
    const hasBody = req.body !== undefined && req.method !== "get" && req.method !== "delete";
    const headers = mergeHeaders(
      {
        Accept: "application/json",
        "User-Agent": `mixpeek-typescript/${VERSION}`,
        ...(hasBody ? { "Content-Type": "application/json" } : {}),
        ...(raw ? { "Content-Type": raw.contentType } : {}),
        ...(raw?.contentLength !== undefined ? { "Content-Length": String(raw.contentLength) } : {}),
      },
      req.anonymous ? undefined : this.#options.defaultHeaders,
      req.anonymous
        ? {}
        : {
            Authorization: `Bearer ${this.apiKey}`,
            ...(namespace ? { "X-Namespace": namespace } : {}),
            ...(attempt > 0 ? { "X-Retry-Count": String(attempt) } : {}),
          },
      options.headers,
    );
    return {
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      ...this.#options.axiosConfig,
      method: req.method,
      url: req.url ?? this.buildUrl(req.path, { ...req.query, ...options.query }),
      headers,
      ...(hasBody && !raw ? { data: JSON.stringify(req.body) } : {}),
      ...(raw ? { data: raw.open() } : {}),
      ...(raw?.onProgress ? { onUploadProgress: (e: { loaded: number }) => raw.onProgress!(e.loaded) } : {}),
      responseType: req.streamResponse ? "stream" : "text",
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      timeout: 0,
      signal,
    };
  }

  /**
   * POSTs and yields the `data` of each server-sent event until `[DONE]` or the end of the stream. Retries
   * apply until the response starts; an error status is thrown as the matching `APIError`.
   */
  async *streamEvents(path: string, body: unknown, options?: RequestOptions, anonymous = false): AsyncGenerator<string> {
    const stream = await this.request<Readable>({ method: "post", path, body, options, streamResponse: true, anonymous });
    const abort = () => stream.destroy(new APIUserAbortError());
    options?.signal?.addEventListener("abort", abort, { once: true });
    try {
      for await (const data of sseData(stream)) {
        if (data === "[DONE]") return;
        yield data;
      }
    } finally {
      options?.signal?.removeEventListener("abort", abort);
      stream.destroy();
    }
  }

  buildUrl(path: string, query?: Record<string, unknown>): string {
    const url = new URL(this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      url.searchParams.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    return url.toString();
  }

  #retryDelay(attempt: number, headers: Record<string, string> | undefined): number {
    const fromHeader = parseRetryAfter(headers);
    if (fromHeader !== undefined && fromHeader <= MAX_RETRY_AFTER_MS) return fromHeader;
    const base = Math.min(this.#retryInitial * 2 ** attempt, this.#retryMax);
    return base * (1 - Math.random() * 0.25);
  }
}

/** 408, 409, 429 and ≥500 retry; `x-should-retry: true|false` from the server overrides that. */
export function shouldRetry(status: number, headers: Record<string, string>): boolean {
  const hint = headers["x-should-retry"];
  if (hint === "true") return true;
  if (hint === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Delay the server asked for, in ms: `retry-after-ms` (milliseconds), else `retry-after` as seconds or an
 * HTTP date. `undefined` when absent, unparsable or negative.
 */
export function parseRetryAfter(headers: Record<string, string> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers["retry-after-ms"];
  if (ms !== undefined && ms.trim() !== "") {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers["retry-after"]?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  const date = Date.parse(after);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The underlying network error, never axios' own error object: that one carries the request config, whose
 * headers hold the API key, and would print it wherever the error is logged.
 */
function safeCause(err: unknown): unknown {
  const e = err as { isAxiosError?: boolean; cause?: unknown; message?: string; code?: string } | null;
  if (!e || !e.isAxiosError) return err;
  if (e.cause !== undefined) return e.cause;
  return Object.assign(new Error(e.message ?? "request failed"), e.code ? { code: e.code } : {});
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

/** A URL without its query: presigned URLs carry their signature there, which errors must not print. */
function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}

function parseBody(data: unknown, headers: Record<string, string>): unknown {
  if (typeof data !== "string") return data;
  if (data === "") return undefined;
  const type = headers["content-type"] ?? "";
  if (type.includes("json") || /^[\s]*[{["]/.test(data)) {
    try {
      return JSON.parse(data);
    } catch {
      return data;
    }
  }
  return data;
}

function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MixpeekError(`Invalid baseUrl ${JSON.stringify(raw)}: expected an absolute http(s) URL such as "https://api.mixpeek.com"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MixpeekError(`Invalid baseUrl ${JSON.stringify(raw)}: only http and https are supported`);
  }
  // The SDK's paths carry /v1 themselves; accept a base URL that already ends with it.
  return url.toString().replace(/\/+$/, "").replace(/\/v1$/, "");
}

function validateCount(name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
    throw new MixpeekError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
}
