import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from "axios";
import { Mixpeek } from "mixpeek";
import type { ClientOptions } from "mixpeek";

/** One request as the fake transport saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal | undefined;
}

export interface FakeResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: SeenRequest, index: number) => FakeResponse | Promise<FakeResponse>;

/**
 * A fake axios transport (injected through `axiosConfig.adapter`, no module mocks): records every request and
 * answers with `handler`. It stands in for the remote Mixpeek API.
 */
export function fakeTransport(handler: Handler): { adapter: AxiosAdapter; requests: SeenRequest[] } {
  const requests: SeenRequest[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const url = new URL(config.url ?? "");
    const rawHeaders = config.headers.toJSON() as Record<string, unknown>;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawHeaders)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    const req: SeenRequest = {
      method: (config.method ?? "get").toUpperCase(),
      url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
      body: typeof config.data === "string" ? JSON.parse(config.data) : config.data,
      signal: config.signal as AbortSignal | undefined,
    };
    requests.push(req);
    const res = await handler(req, requests.length - 1);
    const body = res.body === undefined ? "" : typeof res.body === "string" ? res.body : JSON.stringify(res.body);
    const response: AxiosResponse = {
      data: body,
      status: res.status ?? 200,
      statusText: "",
      headers: { "content-type": "application/json", ...res.headers },
      config,
      request: {},
    };
    return response;
  };
  return { adapter, requests };
}

/** A client on the fake transport with tiny retry delays so retry tests run in milliseconds. */
export function makeClient(handler: Handler, options: ClientOptions = {}) {
  const { adapter, requests } = fakeTransport(handler);
  const client = new Mixpeek({
    apiKey: "sk_test",
    baseUrl: "http://mixpeek.test",
    retryDelay: { initialDelay: 1, maxDelay: 4 },
    ...options,
    axiosConfig: { ...options.axiosConfig, adapter },
  });
  return { client, requests };
}

/** Resolves when `signal` aborts, rejecting like axios does with a canceled error. */
export function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    const fail = () => reject(Object.assign(new Error("canceled"), { code: "ERR_CANCELED", name: "CanceledError" }));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

export function envelope(status: number, message: string, type = "Error") {
  return { status, body: { success: false, status, error: { message, type } } };
}
