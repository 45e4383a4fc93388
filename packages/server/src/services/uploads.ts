import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";

/** Stored beside every upload at `uploads/<namespace>/<upload_id>/meta.json`. */
export interface UploadMeta {
  upload_id: string;
  /** Blob key of the content. */
  key: string;
  filename: string;
  mime_type: string;
  /** null until the bytes arrived. */
  size_bytes: number | null;
  sha256: string | null;
  /** PENDING: presigned URL issued; UPLOADED: bytes stored; COMPLETED: confirmed (object created). */
  status: "PENDING" | "UPLOADED" | "COMPLETED";
  created_at: string;
  /** Presigned flow only. */
  bucket_id?: string | null;
  expires_at?: string | null;
  expected_size?: number | null;
  expected_sha256?: string | null;
  create_object_on_confirm?: boolean;
  object_metadata?: Record<string, unknown> | null;
  blob_property?: string | null;
  blob_type?: string | null;
  skip_duplicates?: boolean;
  object_id?: string | null;
}

const UPLOAD_ID = /^upl_[a-z0-9]+$/;

export const uploadDir = (ns: string, uploadId: string) => `uploads/${ns}/${uploadId}`;
const metaKey = (ns: string, uploadId: string) => `${uploadDir(ns, uploadId)}/meta.json`;

export async function readUploadMeta(ctx: AppContext, ns: string, uploadId: string): Promise<UploadMeta | null> {
  if (!UPLOAD_ID.test(uploadId)) return null;
  const key = metaKey(ns, uploadId);
  if (!(await ctx.blobs.exists(key))) return null;
  return JSON.parse((await ctx.blobs.get(key)).toString("utf8")) as UploadMeta;
}

export async function writeUploadMeta(ctx: AppContext, ns: string, meta: UploadMeta): Promise<void> {
  await ctx.blobs.put(metaKey(ns, meta.upload_id), Buffer.from(JSON.stringify(meta)));
}

/** Streams a request body into the blob store under `key`, enforcing the upload limit (413). */
export async function streamToBlob(ctx: AppContext, key: string, source: unknown): Promise<{ size_bytes: number; sha256: string }> {
  if (!source || typeof (source as { pipe?: unknown }).pipe !== "function") throw new ApiError("bad_request", "Empty upload body");
  let size = 0;
  const limit = ctx.config.uploadLimit;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > limit) cb(new ApiError("payload_too_large", `Upload exceeds the limit of ${limit} bytes`));
      else cb(null, chunk);
    },
  });
  let stored: { size_bytes: number; sha256: string };
  try {
    const put = ctx.blobs.put(key, counter);
    await Promise.all([pipeline(source as NodeJS.ReadableStream, counter), put]);
    stored = await put;
  } catch (err) {
    await ctx.blobs.delete(key).catch(() => {});
    throw err;
  }
  if (stored.size_bytes === 0) {
    await ctx.blobs.delete(key).catch(() => {});
    throw new ApiError("bad_request", "Empty upload body");
  }
  return stored;
}
