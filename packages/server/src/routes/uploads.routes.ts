import { z } from "zod";
import {
  ConfirmUploadResponse, CreateUploadRequest, UploadResponse, UploadSessionResponse, type BucketSchema,
} from "@scenecap/protocol";
import { mimeFromFilename, safeFilename } from "../blobs.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { readUploadMeta, streamToBlob, uploadDir, writeUploadMeta, type UploadMeta } from "../services/uploads.js";
import { objectView } from "../views.js";
import { createObject } from "./buckets.routes.js";
import { route, type RouteEnv } from "./shared.js";

function sessionView(meta: UploadMeta, presignedUrl: string | null) {
  return {
    upload_id: meta.upload_id,
    bucket_id: meta.bucket_id ?? "",
    filename: meta.filename,
    content_type: meta.mime_type,
    status: meta.status,
    presigned_url: presignedUrl,
    method: "PUT" as const,
    expires_at: meta.expires_at ?? null,
    file_size_bytes: meta.size_bytes ?? meta.expected_size ?? null,
    sha256: meta.sha256,
    create_object_on_confirm: meta.create_object_on_confirm ?? false,
    object_id: meta.object_id ?? null,
    created_at: meta.created_at,
  };
}

async function sessionOf(ctx: AppContext, ns: string, bucketId: string, uploadId: string): Promise<UploadMeta> {
  const meta = await readUploadMeta(ctx, ns, uploadId);
  if (!meta || meta.bucket_id !== bucketId) throw ApiError.notFound("Upload", uploadId);
  return meta;
}

/** The bucket field an uploaded file fills: as asked, else the first field of its type, else the first video/image field. */
function blobTarget(schema: BucketSchema, meta: UploadMeta): { property: string; type: string } {
  const props = Object.entries(schema.properties);
  if (meta.blob_property) {
    const f = schema.properties[meta.blob_property];
    if (!f) throw new ApiError("bad_request", `blob_property "${meta.blob_property}" is not a field of the bucket schema`);
    return { property: meta.blob_property, type: meta.blob_type ?? f.type };
  }
  const guess = meta.blob_type ?? (meta.mime_type.startsWith("image/") && meta.mime_type !== "image/gif" ? "image" : "video");
  const hit = props.find(([, f]) => f.type === guess) ?? props.find(([, f]) => f.type === "video" || f.type === "image");
  if (!hit) throw new ApiError("bad_request", "The bucket schema has no field to hold the uploaded file; pass blob_property");
  return { property: hit[0], type: hit[1].type };
}

/**
 * Uploads, two ways:
 * - raw: `PUT /v1/uploads/<filename>` with the file as the body (key auth) → `upload_id`;
 * - Mixpeek presigned: `POST /v1/buckets/{b}/uploads` → `presigned_url` (PUT the bytes there, no key needed) →
 *   `POST /v1/buckets/{b}/uploads/{id}/confirm` (creates the object).
 * Either `upload_id` can be referenced from an object blob (`{property, type, upload_id}`).
 * Registered in its own plugin so the catch-all body parser streams instead of buffering.
 */
export function uploadRoutes(env: RouteEnv): void {
  const { ctx } = env;

  route(env, {
    method: "PUT", url: "/v1/uploads/:filename", operationId: "uploadFile",
    summary: "Upload raw bytes (request body = file); reference the returned upload_id in an object blob",
    tag: "Uploads", status: 201, response: UploadResponse,
  }, async ({ req, params, ns }) => {
    const filename = safeFilename(params.filename!);
    const headerType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim();
    const mime = headerType && headerType !== "application/octet-stream" ? headerType : (mimeFromFilename(filename) ?? "application/octet-stream");
    const uploadId = newId.upload();
    const key = `${uploadDir(ns, uploadId)}/${filename}`;
    const stored = await streamToBlob(ctx, key, req.body);
    await writeUploadMeta(ctx, ns, {
      upload_id: uploadId, key, filename, mime_type: mime, size_bytes: stored.size_bytes, sha256: stored.sha256, status: "UPLOADED",
      created_at: new Date().toISOString(),
    });
    return { upload_id: uploadId, filename, mime_type: mime, size_bytes: stored.size_bytes, sha256: stored.sha256 };
  });

  route(env, {
    method: "PUT", url: "/v1/uploads/:upload_id/content", operationId: "putPresignedUpload",
    summary: "Target of a presigned_url: the request body is the file (the signature authorises it)", tag: "Uploads", auth: "none",
    query: z.object({ ns: z.string().min(1), expires: z.string(), sig: z.string() }),
    response: z.object({ upload_id: z.string(), status: z.string(), size_bytes: z.number().int(), sha256: z.string() }),
  }, async ({ req, params, query }) => {
    const uploadId = params.upload_id!;
    if (!ctx.signer.verify(uploadDir(query.ns, uploadId), query.expires, query.sig, Date.now(), "PUT")) {
      throw new ApiError("forbidden", "Invalid or expired upload signature");
    }
    const meta = await readUploadMeta(ctx, query.ns, uploadId);
    if (!meta) throw ApiError.notFound("Upload", uploadId);
    if (meta.status === "COMPLETED") throw new ApiError("conflict", `Upload ${uploadId} is already confirmed`);
    const stored = await streamToBlob(ctx, meta.key, req.body);
    await writeUploadMeta(ctx, query.ns, { ...meta, status: "UPLOADED", size_bytes: stored.size_bytes, sha256: stored.sha256 });
    return { upload_id: uploadId, status: "UPLOADED", ...stored };
  });

}

/** JSON routes of the presigned flow (on the main instance, with the JSON body parser). */
export function presignedUploadRoutes(jsonEnv: RouteEnv): void {
  const { ctx } = jsonEnv;
  route(jsonEnv, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/uploads", operationId: "createUpload",
    summary: "Start a presigned upload: PUT the file to presigned_url, then confirm", tag: "Uploads", body: CreateUploadRequest,
    response: UploadSessionResponse,
  }, async ({ req, params, ns, body }) => {
    const bucket = await ctx.mustGet("bucket", ns, params.bucket_identifier!, "Bucket");
    const uploadId = newId.upload();
    const dir = uploadDir(ns, uploadId);
    const now = Date.now();
    const { expires, sig } = ctx.signer.sign(dir, now, "PUT", body.presigned_url_expiration);
    const meta: UploadMeta = {
      upload_id: uploadId, key: `${dir}/${safeFilename(body.filename)}`, filename: safeFilename(body.filename), mime_type: body.content_type,
      size_bytes: null, sha256: null, status: "PENDING", created_at: new Date(now).toISOString(), bucket_id: bucket.id,
      expires_at: new Date(expires * 1000).toISOString(), expected_size: body.file_size_bytes ?? null,
      expected_sha256: body.file_hash?.toLowerCase() ?? null, create_object_on_confirm: body.create_object_on_confirm,
      object_metadata: body.object_metadata ?? body.metadata ?? null, blob_property: body.blob_property ?? null,
      blob_type: body.blob_type ?? null, skip_duplicates: body.skip_duplicates ?? false, object_id: null,
    };
    if (meta.create_object_on_confirm) blobTarget(bucket.data.bucket_schema as BucketSchema, meta); // fail early
    await writeUploadMeta(ctx, ns, meta);
    const url = `${ctx.baseUrl(req)}/v1/uploads/${uploadId}/content?ns=${encodeURIComponent(ns)}&expires=${expires}&sig=${sig}`;
    return sessionView(meta, url);
  });

  route(jsonEnv, {
    method: "GET", url: "/v1/buckets/:bucket_identifier/uploads/:upload_id", operationId: "getUpload", summary: "Get an upload",
    tag: "Uploads", response: UploadSessionResponse,
  }, async ({ params, ns }) => {
    const bucket = await ctx.mustGet("bucket", ns, params.bucket_identifier!, "Bucket");
    return sessionView(await sessionOf(ctx, ns, bucket.id, params.upload_id!), null);
  });

  route(jsonEnv, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/uploads/:upload_id/confirm", operationId: "confirmUpload",
    summary: "Confirm an uploaded file (checks size/hash, creates the object)", tag: "Uploads", response: ConfirmUploadResponse,
  }, async ({ req, params, ns }) => {
    const bucket = await ctx.mustGet("bucket", ns, params.bucket_identifier!, "Bucket");
    let meta = await sessionOf(ctx, ns, bucket.id, params.upload_id!);
    if (meta.status === "COMPLETED") {
      const obj = meta.object_id ? await ctx.store.resources.get("object", ns, meta.object_id) : null;
      return ctx.sign(req, { ...sessionView(meta, null), object: obj ? objectView(obj) : null });
    }
    if (meta.status !== "UPLOADED" || meta.size_bytes === null || meta.sha256 === null) {
      throw new ApiError("bad_request", `Upload ${meta.upload_id} has no content yet; PUT the file to its presigned_url first`);
    }
    if (meta.expected_size != null && meta.expected_size !== meta.size_bytes) {
      throw new ApiError("bad_request", `Uploaded ${meta.size_bytes} bytes, expected file_size_bytes=${meta.expected_size}`);
    }
    if (meta.expected_sha256 && meta.expected_sha256 !== meta.sha256) throw new ApiError("bad_request", "Uploaded content does not match file_hash");
    let object = null;
    if (meta.create_object_on_confirm) {
      const target = blobTarget(bucket.data.bucket_schema as BucketSchema, meta);
      const rec = await createObject(ctx, ns, bucket, {
        key_prefix: null, metadata: meta.object_metadata ?? {}, skip_duplicates: meta.skip_duplicates ?? false,
        blobs: [{ property: target.property, type: target.type as never, upload_id: meta.upload_id }],
      }, {});
      object = objectView(rec);
      meta = { ...meta, object_id: rec.id };
    }
    meta = { ...meta, status: "COMPLETED" };
    await writeUploadMeta(ctx, ns, meta);
    return ctx.sign(req, { ...sessionView(meta, null), object });
  });
}
