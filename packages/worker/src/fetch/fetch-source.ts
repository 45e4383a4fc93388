import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PermanentJobError, TransientJobError } from "../errors.js";
import { BlockedAddressError, resolveAllowedHost, type LookupFn } from "./ssrf.js";

export interface FetchLimits {
  /** Largest body accepted, in bytes. @defaultValue 2 GiB */
  maxBytes?: number;
  /** Whole download (all redirects included), in ms. @defaultValue 300 000 */
  timeoutMs?: number;
  /** @defaultValue 5 */
  maxRedirects?: number;
  /** Allow loopback/private/link-local targets (trusted networks, tests). @defaultValue false */
  allowPrivateNetworks?: boolean;
  /** Addresses allowed even though private (an internal media server). @defaultValue [] */
  allowedAddresses?: readonly string[];
  /** Host resolution (tests inject one); default: the system resolver. */
  lookup?: LookupFn;
  signal?: AbortSignal;
}

export interface FetchResult {
  /** The URL finally read (after redirects). */
  finalUrl: string;
  contentType: string | null;
  sizeBytes: number;
}

export const DEFAULT_FETCH_LIMITS = {
  maxBytes: 2 * 1024 ** 3,
  timeoutMs: 300_000,
  maxRedirects: 5,
} as const;

/** Content types that are certainly not media (a web page, an API error body…). */
function isNonMediaType(contentType: string): boolean {
  const t = contentType.split(";")[0]!.trim().toLowerCase();
  return t.startsWith("text/") || t === "application/json" || t === "application/xml" ||
    t === "application/xhtml+xml" || t === "application/javascript" || t.endsWith("+json") || t.endsWith("+xml");
}

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PermanentJobError("bad_url", `invalid source URL: ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new PermanentJobError("bad_url", `unsupported URL scheme ${url.protocol} (only http and https can be fetched)`);
  }
  if (url.username || url.password) throw new PermanentJobError("bad_url", "source URLs with credentials are refused");
  return url;
}

/**
 * Downloads an http(s) URL into `destPath` with size and time limits. Every hop's host is resolved and
 * checked by the SSRF guard, and the connection goes to the checked address; redirects are followed by hand
 * (each target re-checked). HTTP 4xx, blocked hosts, non-media content types and oversized bodies are
 * permanent errors; timeouts, connection errors and 5xx are transient.
 */
export async function fetchToFile(rawUrl: string, destPath: string, limits: FetchLimits = {}): Promise<FetchResult> {
  const maxBytes = limits.maxBytes ?? DEFAULT_FETCH_LIMITS.maxBytes;
  const timeoutMs = limits.timeoutMs ?? DEFAULT_FETCH_LIMITS.timeoutMs;
  const maxRedirects = limits.maxRedirects ?? DEFAULT_FETCH_LIMITS.maxRedirects;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  let url = parseHttpUrl(rawUrl);
  try {
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(url, limits, signal);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop >= maxRedirects) throw new PermanentJobError("http_error", `too many redirects (more than ${maxRedirects}) fetching ${rawUrl}`);
        url = parseHttpUrl(new URL(res.headers.location, url).toString());
        continue;
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        res.resume();
        throw new PermanentJobError("http_error", `fetching ${url.href} failed: HTTP ${status}`);
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new TransientJobError(`fetching ${url.href} failed: HTTP ${status}`);
      }
      const contentType = res.headers["content-type"] ?? null;
      if (contentType && isNonMediaType(contentType)) {
        res.resume();
        throw new PermanentJobError("not_media", `${url.href} is not a media file (Content-Type: ${contentType})`);
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        throw new PermanentJobError("too_large", `${url.href} is too large: ${declared} bytes (limit ${maxBytes})`);
      }
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > maxBytes) cb(new PermanentJobError("too_large", `${url.href} is too large: more than ${maxBytes} bytes`));
          else cb(null, chunk);
        },
      });
      await pipeline(res, counter, createWriteStream(destPath), { signal });
      return { finalUrl: url.href, contentType, sizeBytes: size };
    }
  } catch (err) {
    await rm(destPath, { force: true });
    if (err instanceof BlockedAddressError) throw new PermanentJobError("blocked_url", err.message, { cause: err });
    if (err instanceof PermanentJobError || err instanceof TransientJobError) throw err;
    if (timeout.aborted) throw new TransientJobError(`fetching ${url.href} timed out after ${timeoutMs} ms`, { cause: err });
    if (limits.signal?.aborted) throw err;
    throw new TransientJobError(`fetching ${url.href} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function requestOnce(url: URL, limits: FetchLimits, signal: AbortSignal): Promise<http.IncomingMessage> {
  const pinned = await resolveAllowedHost(url.hostname, {
    allowPrivateNetworks: limits.allowPrivateNetworks ?? false,
    ...(limits.lookup ? { lookup: limits.lookup } : {}),
    ...(limits.allowedAddresses ? { allowedAddresses: limits.allowedAddresses } : {}),
  });
  // Connect to the address that was checked, never to a fresh resolution of the name.
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
  const mod = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { lookup, signal, headers: { "user-agent": "scenecap-worker", accept: "*/*" } }, resolve);
    req.on("error", reject);
  });
}
