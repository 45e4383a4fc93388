import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ApiError } from "./errors.js";

export const BLOB_SCHEME = "blob://";

/** HMAC signatures for `GET /v1/blobs/<key>?expires=…&sig=…`. */
export class BlobSigner {
  private readonly secret: Buffer;

  constructor(secret: string | undefined, readonly ttlSeconds = 3600) {
    this.secret = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  /** `purpose` separates read URLs from upload (PUT) URLs: one never works as the other. */
  private mac(key: string, expires: number, purpose: "GET" | "PUT"): string {
    const msg = purpose === "GET" ? `${key}\n${expires}` : `${purpose}\n${key}\n${expires}`;
    return createHmac("sha256", this.secret).update(msg).digest("base64url");
  }

  sign(key: string, now = Date.now(), purpose: "GET" | "PUT" = "GET", ttlSeconds = this.ttlSeconds): { expires: number; sig: string } {
    const expires = Math.floor(now / 1000) + ttlSeconds;
    return { expires, sig: this.mac(key, expires, purpose) };
  }

  verify(key: string, expires: unknown, sig: unknown, now = Date.now(), purpose: "GET" | "PUT" = "GET"): boolean {
    const exp = typeof expires === "string" ? Number(expires) : NaN;
    if (!Number.isInteger(exp) || typeof sig !== "string" || exp < Math.floor(now / 1000)) return false;
    const expected = Buffer.from(this.mac(key, exp, purpose));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Absolute signed URL for a blob key. */
  url(baseUrl: string, key: string): string {
    const { expires, sig } = this.sign(key);
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `${baseUrl}/v1/blobs/${path}?expires=${expires}&sig=${sig}`;
  }
}

/** Replaces every `blob://<key>` string inside a JSON value by a signed absolute URL (returns a copy). */
export function resolveBlobRefs<T>(value: T, toUrl: (key: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.startsWith(BLOB_SCHEME) ? toUrl(v.slice(BLOB_SCHEME.length)) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

const MIME_BY_EXT: Record<string, string> = {
  mp4: "video/mp4", m4v: "video/mp4", mov: "video/quicktime", webm: "video/webm", mkv: "video/x-matroska",
  avi: "video/x-msvideo", mpeg: "video/mpeg", mpg: "video/mpeg", ts: "video/mp2t", "3gp": "video/3gpp",
  gif: "image/gif", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", bmp: "image/bmp",
  tif: "image/tiff", tiff: "image/tiff", heic: "image/heic", avif: "image/avif",
  txt: "text/plain", json: "application/json", pdf: "application/pdf", mp3: "audio/mpeg", wav: "audio/wav",
};

export function mimeFromFilename(name: string | null | undefined): string | null {
  const ext = name?.split(".").pop()?.toLowerCase();
  return (ext && MIME_BY_EXT[ext]) || null;
}

export function extForMime(mime: string | null | undefined): string {
  if (!mime) return "bin";
  for (const [ext, m] of Object.entries(MIME_BY_EXT)) if (m === mime.toLowerCase()) return ext;
  return "bin";
}

/** A filename safe to use as the last segment of a blob key. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "").slice(0, 120);
  return cleaned || "file";
}

export type DecodedBlob =
  | { kind: "url"; url: string; filename: string | null; mime: string | null }
  | { kind: "bytes"; bytes: Buffer; filename: string | null; mime: string | null; sha256: string };

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(s: string, path: string): Buffer {
  const compact = s.replace(/\s+/g, "");
  if (compact.length === 0 || !BASE64_RE.test(compact)) {
    throw new ApiError("validation", `${path}: not valid base64`, { validation_errors: [{ loc: ["body", ...path.split(".")], path, message: "not valid base64", type: "invalid_base64" }] });
  }
  return Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64");
}

/**
 * Blob `data` (URL, data-URI, `{base64, mime_type?, filename?}`, `{url}`) → a URL the worker fetches, or bytes to
 * store. `path` names the field in errors.
 */
export function decodeBlobData(data: unknown, path: string): DecodedBlob {
  const bytes = (b: Buffer, mime: string | null, filename: string | null): DecodedBlob => ({
    kind: "bytes", bytes: b, mime, filename, sha256: createHash("sha256").update(b).digest("hex"),
  });
  const invalid = (message: string) =>
    new ApiError("validation", `${path}: ${message}`, { validation_errors: [{ loc: ["body", ...path.split(".")], path, message, type: "invalid_blob" }] });
  if (typeof data === "string") {
    const s = data.trim();
    if (s.startsWith("data:")) {
      const m = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(s);
      if (!m) throw invalid("malformed data URI");
      const mime = m[1] || "application/octet-stream";
      const payload = m[4] ?? "";
      return bytes(m[3] ? decodeBase64(payload, path) : Buffer.from(decodeURIComponent(payload), "utf8"), mime, null);
    }
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw invalid("expected an http(s) URL, a data: URI, {base64} or {url}");
    }
    if (!["http:", "https:", "s3:"].includes(url.protocol)) throw invalid(`unsupported URL scheme ${url.protocol}`);
    const filename = decodeURIComponent(url.pathname.split("/").pop() ?? "") || null;
    return { kind: "url", url: url.toString(), filename, mime: mimeFromFilename(filename) };
  }
  if (data && typeof data === "object") {
    const o = data as Record<string, unknown>;
    if (typeof o.base64 === "string") {
      const filename = typeof o.filename === "string" ? o.filename : null;
      const mime = typeof o.mime_type === "string" ? o.mime_type : mimeFromFilename(filename);
      const b64 = o.base64.startsWith("data:") ? o.base64.slice(o.base64.indexOf(",") + 1) : o.base64;
      return bytes(decodeBase64(b64, `${path}.base64`), mime, filename);
    }
    if (typeof o.url === "string") return decodeBlobData(o.url, `${path}.url`);
  }
  throw invalid("expected an http(s) URL, a data: URI, {base64} or {url}");
}
