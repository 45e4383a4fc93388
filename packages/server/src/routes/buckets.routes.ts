import { createHash } from "node:crypto";
import { z } from "zod";
import {
  BatchResponse, BucketResponse, CreateBatchRequest, CreateBucketRequest, CreateObjectQuery, CreateObjectRequest,
  CreateObjectsBatchRequest, CreateObjectsBatchResponse,
  GenericDeleteResponse, ListQueryParams, ListRequest, ObjectResponse, SubmitBatchRequest, TaskResponse, UpdateBucketRequest,
  listResponse, type BlobResponse, type BucketSchema, type UniqueKey,
} from "@scenecap/protocol";
import type { ResourceRecord } from "@scenecap/store";
import { decodeBlobData, extForMime, mimeFromFilename, BLOB_SCHEME } from "../blobs.js";
import { readUploadMeta } from "../services/uploads.js";
import { eqFilter, type AppContext } from "../context.js";
import { ApiError, toApiError } from "../errors.js";
import { newId } from "../ids.js";
import { createBatchRecord, collectionsForBucket, submitBatch } from "../services/processing.js";
import { isConflict } from "../store-errors.js";
import { batchView, bucketView, objectView, taskView } from "../views.js";
import { deleted, listBody, listQuery, route, type RouteEnv } from "./shared.js";

async function bucketOf(ctx: AppContext, ns: string, ident: string): Promise<ResourceRecord> {
  return ctx.mustGet("bucket", ns, ident, "Bucket");
}

async function objectOf(ctx: AppContext, ns: string, bucket: ResourceRecord, ident: string): Promise<ResourceRecord> {
  const rec = await ctx.store.resources.get("object", ns, ident);
  if (!rec || rec.data.bucket_id !== bucket.id) throw ApiError.notFound("Object", ident);
  return rec;
}

const objectCount = (ctx: AppContext, ns: string, bucketId: string) => ctx.count("object", ns, { filters: eqFilter("bucket_id", bucketId) });


function validationAt(path: Array<string | number>, message: string): ApiError {
  return new ApiError("validation", `Invalid body: ${path.join(".")}: ${message}`, {
    validation_errors: [{ loc: ["body", ...path], path: path.join("."), message, type: "custom", location: "body" }],
  });
}

/** Turns the request's blobs into stored blob records (uploads saved to the blob store, URLs kept). */
async function materialiseBlobs(
  ctx: AppContext, ns: string, objectId: string, schema: BucketSchema, blobs: z.output<typeof CreateObjectRequest>["blobs"],
): Promise<{ blobs: BlobResponse[]; bytes: number }> {
  const out: BlobResponse[] = [];
  let bytes = 0;
  for (const [i, b] of blobs.entries()) {
    if (!(b.property in schema.properties)) {
      throw validationAt(["blobs", i, "property"], `"${b.property}" is not a field of the bucket schema (fields: ${Object.keys(schema.properties).join(", ") || "none"})`);
    }
    const blobId = newId.blob();
    let data: string;
    let details: BlobResponse["details"];
    if (b.upload_id) {
      const meta = await readUploadMeta(ctx, ns, b.upload_id);
      if (!meta) throw ApiError.notFound("Upload", b.upload_id);
      if (meta.status === "PENDING" || meta.size_bytes === null || meta.sha256 === null) {
        throw new ApiError("bad_request", `Upload ${b.upload_id} has no content yet; PUT the file to its presigned_url first`);
      }
      data = `${BLOB_SCHEME}${meta.key}`;
      details = { filename: meta.filename, size_bytes: meta.size_bytes, mime_type: meta.mime_type, hash: meta.sha256 };
    } else {
      const decoded = decodeBlobData(b.data, `blobs.${i}.data`);
      if (decoded.kind === "url") {
        data = decoded.url;
        details = { filename: decoded.filename, size_bytes: null, mime_type: decoded.mime, hash: null };
      } else {
        if (decoded.bytes.length === 0) throw validationAt(["blobs", i, "data"], "blob is empty");
        const key = `uploads/${ns}/${objectId}/${blobId}.${extForMime(decoded.mime ?? mimeFromFilename(decoded.filename))}`;
        await ctx.blobs.put(key, decoded.bytes);
        bytes += decoded.bytes.length;
        data = `${BLOB_SCHEME}${key}`;
        details = { filename: decoded.filename, size_bytes: decoded.bytes.length, mime_type: decoded.mime, hash: decoded.sha256 };
      }
    }
    out.push({ blob_id: blobId, property: b.property, key_prefix: b.key_prefix ?? null, type: b.type, data, properties: b.metadata ?? {}, details });
  }
  return { blobs: out, bytes };
}

function uniqueKeyValue(uk: UniqueKey, metadata: Record<string, unknown>, blobs: BlobResponse[]): string {
  const values = uk.fields.map((f) => {
    const name = f.replace(/^metadata\./, "");
    if (name in metadata) return metadata[name];
    const blob = blobs.find((b) => b.property === name);
    return blob ? (blob.details.hash ?? blob.data) : null;
  });
  return createHash("sha256").update(JSON.stringify(values)).digest("hex");
}

/** Creates (or, under a unique-key policy, updates) an object; starts processing with `auto_process`. */
export async function createObject(
  ctx: AppContext, ns: string, bucket: ResourceRecord, body: z.output<typeof CreateObjectRequest>, query: z.output<typeof CreateObjectQuery>,
): Promise<ResourceRecord> {
  const schema = bucket.data.bucket_schema as BucketSchema;
  for (const [field, def] of Object.entries(schema.properties)) {
    if (def.required && !(field in body.metadata) && !body.blobs.some((b) => b.property === field)) {
      throw validationAt([field], `required by the bucket schema`);
    }
  }
  const uk = (bucket.data.unique_key ?? null) as UniqueKey | null;
  const policy = query.policy ?? uk?.default_policy ?? undefined;
  if (query.policy && !uk) throw new ApiError("bad_request", `policy=${query.policy} needs a bucket with a unique_key`);

  const objectId = newId.object();
  const { blobs, bytes } = await materialiseBlobs(ctx, ns, objectId, schema, body.blobs);
  const contentHash = createHash("sha256").update(JSON.stringify(blobs.map((b) => b.details.hash ?? b.data))).digest("hex");

  if (body.skip_duplicates) {
    const dup = await ctx.store.resources.list("object", ns, {
      filters: { AND: [{ field: "bucket_id", operator: "eq", value: bucket.id }, { field: "content_hash", operator: "eq", value: contentHash }] },
      limit: 1, offset: 0,
    });
    if (dup.items[0]) return dup.items[0];
  }

  let existing: ResourceRecord | undefined;
  let ukValue: string | null = null;
  if (uk) {
    if (!policy) throw new ApiError("bad_request", "This bucket has a unique_key: pass ?policy=insert|update|upsert (or set unique_key.default_policy)");
    ukValue = uniqueKeyValue(uk, body.metadata, blobs);
    const found = await ctx.store.resources.list("object", ns, {
      filters: { AND: [{ field: "bucket_id", operator: "eq", value: bucket.id }, { field: "unique_key_value", operator: "eq", value: ukValue }] },
      limit: 1, offset: 0,
    });
    existing = found.items[0];
    if (existing && policy === "insert") throw new ApiError("conflict", `An object with the same unique key (${uk.fields.join(", ")}) already exists: ${existing.id}`);
    if (!existing && policy === "update") throw new ApiError("not_found", `No object with this unique key (${uk.fields.join(", ")}) to update`);
  }

  const now = new Date().toISOString();
  const data = {
    bucket_id: bucket.id,
    key_prefix: body.key_prefix,
    metadata: body.metadata,
    blobs,
    source_details: [] as unknown[],
    status: "DRAFT",
    error: null,
    content_hash: contentHash,
    unique_key_value: ukValue,
    batch_id: null,
    task_id: null,
  };
  let rec: ResourceRecord;
  if (existing) {
    const updated = await ctx.store.resources.update("object", ns, existing.id, () => ({ data }));
    if (!updated) throw ApiError.notFound("Object", existing.id);
    rec = updated;
  } else {
    rec = await ctx.store.resources.create("object", { id: objectId, namespace_id: ns, created_at: now, updated_at: now, data });
  }
  await ctx.store.resources.update("bucket", ns, bucket.id, (cur) => ({
    data: { ...cur.data, last_upload_at: now, total_size_bytes: Number(cur.data.total_size_bytes ?? 0) + bytes },
  }));

  if (query.auto_process) {
    const collections = await collectionsForBucket(ctx, ns, bucket.id);
    if (collections.length > 0) {
      const batch = await createBatchRecord(ctx, ns, bucket.id, [rec.id], { batch_name: `auto:${rec.id}` });
      await submitBatch(ctx, ns, batch);
      rec = (await ctx.store.resources.get("object", ns, rec.id)) ?? rec;
    }
  }
  return rec;
}

export function bucketRoutes(env: RouteEnv): void {
  const { ctx } = env;

  // ── buckets ──
  route(env, {
    method: "POST", url: "/v1/buckets", operationId: "createBucket", summary: "Create a bucket", tag: "Buckets",
    body: CreateBucketRequest, response: BucketResponse,
  }, async ({ body, ns }) => {
    const now = new Date().toISOString();
    try {
      const rec = await ctx.store.resources.create("bucket", {
        id: newId.bucket(), namespace_id: ns, name: body.bucket_name, created_at: now, updated_at: now,
        data: { ...body, status: "ACTIVE", total_size_bytes: 0, last_upload_at: null },
      });
      return bucketView(rec, 0);
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `Bucket ${JSON.stringify(body.bucket_name)} already exists`);
      throw err;
    }
  });

  route(env, {
    method: "GET", url: "/v1/buckets/:bucket_identifier", operationId: "getBucket", summary: "Get a bucket (id or name)", tag: "Buckets",
    response: BucketResponse,
  }, async ({ params, ns }) => {
    const b = await bucketOf(ctx, ns, params.bucket_identifier!);
    return bucketView(b, await objectCount(ctx, ns, b.id));
  });

  for (const method of ["PATCH", "PUT"] as const) {
    route(env, {
      method, url: "/v1/buckets/:bucket_identifier", operationId: method === "PATCH" ? "updateBucket" : "replaceBucket",
      summary: "Update a bucket", tag: "Buckets", body: UpdateBucketRequest, response: BucketResponse,
    }, async ({ params, ns, body }) => {
      const b = await bucketOf(ctx, ns, params.bucket_identifier!);
      try {
        const updated = await ctx.store.resources.update("bucket", ns, b.id, (cur) => ({
          data: {
            ...cur.data,
            ...(body.bucket_name ? { bucket_name: body.bucket_name } : {}),
            ...(body.description !== undefined ? { description: body.description } : {}),
            ...(body.metadata ? { metadata: body.metadata } : {}),
            ...(body.bucket_schema ? { bucket_schema: body.bucket_schema } : {}),
          },
          ...(body.bucket_name ? { name: body.bucket_name } : {}),
        }));
        if (!updated) throw ApiError.notFound("Bucket", params.bucket_identifier!);
        return bucketView(updated, await objectCount(ctx, ns, b.id));
      } catch (err) {
        if (isConflict(err)) throw new ApiError("conflict", `Bucket ${JSON.stringify(body.bucket_name)} already exists`);
        throw err;
      }
    });
  }

  route(env, {
    method: "DELETE", url: "/v1/buckets/:bucket_identifier", operationId: "deleteBucket", summary: "Delete a bucket and its objects",
    tag: "Buckets", response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const b = await bucketOf(ctx, ns, params.bucket_identifier!);
    const dependents = (await ctx.listAll("collection", ns)).filter((c) => ((c.data.source as { bucket_ids?: string[] } | undefined)?.bucket_ids ?? []).includes(b.id));
    if (dependents.length) {
      throw new ApiError("conflict", `Bucket ${b.id} is the source of collection(s) ${dependents.map((c) => c.id).join(", ")}; delete them first`, {
        collection_ids: dependents.map((c) => c.id),
      });
    }
    for (const o of await ctx.listAll("object", ns, { filters: eqFilter("bucket_id", b.id) })) await ctx.store.resources.delete("object", ns, o.id);
    for (const o of await ctx.listAll("batch", ns, { filters: eqFilter("bucket_id", b.id) })) await ctx.store.resources.delete("batch", ns, o.id);
    await ctx.store.resources.delete("bucket", ns, b.id);
    return deleted(`bucket ${b.id}`);
  });

  route(env, {
    method: "POST", url: "/v1/buckets/list", operationId: "listBuckets", summary: "List buckets", tag: "Buckets",
    body: ListRequest, query: ListQueryParams, response: listResponse(BucketResponse),
  }, async ({ body, query, ns }) => {
    const { store, window } = listQuery(query, body);
    const page = await ctx.store.resources.list("bucket", ns, store);
    const results = [];
    for (const r of page.items) results.push(bucketView(r, await objectCount(ctx, ns, r.id)));
    return listBody(results, window, page.total);
  });

  // ── objects ──
  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/objects", operationId: "createObject",
    summary: "Create an object (blobs as URL, data URI, {base64} or upload_id); ?auto_process=true starts processing",
    tag: "Bucket Objects", body: CreateObjectRequest, query: CreateObjectQuery, response: ObjectResponse,
  }, async ({ req, params, ns, body, query }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const rec = await createObject(ctx, ns, bucket, body, query);
    return ctx.sign(req, objectView(rec));
  });

  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/objects/batch", operationId: "createObjectsBatch",
    summary: "Create up to 100 objects; each succeeds or fails on its own (nothing is processed until a batch is submitted)",
    tag: "Bucket Objects", body: CreateObjectsBatchRequest, query: CreateObjectQuery.pick({ policy: true }), response: CreateObjectsBatchResponse,
  }, async ({ req, params, ns, body, query }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const succeeded: ResourceRecord[] = [];
    const errors: Array<{ index: number; error: ApiError }> = [];
    for (const [index, raw] of body.objects.entries()) {
      try {
        const parsed = CreateObjectRequest.safeParse(raw ?? {});
        if (!parsed.success) throw ApiError.validation(parsed.error, "body", ["objects", index]);
        succeeded.push(await createObject(ctx, ns, bucket, parsed.data, query));
      } catch (err) {
        const error = toApiError(err);
        if (error.status >= 500) throw error; // a store outage is not one object's fault
        errors.push({ index, error });
      }
    }
    const failed = errors.map(({ index, error }) => ({ index, error: { ...error.toEnvelope().error, status: error.status } }));
    const first = errors[0];
    if (first && succeeded.length === 0) {
      throw new ApiError(first.error.code, `No object was created; objects[${first.index}]: ${first.error.message}`, { failed });
    }
    return ctx.sign(req, {
      succeeded: succeeded.map(objectView),
      failed,
      total: body.objects.length,
      succeeded_count: succeeded.length,
      failed_count: failed.length,
    });
  });

  route(env, {
    method: "GET", url: "/v1/buckets/:bucket_identifier/objects/:object_identifier", operationId: "getObject", summary: "Get an object",
    tag: "Bucket Objects", response: ObjectResponse,
  }, async ({ req, params, ns }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    return ctx.sign(req, objectView(await objectOf(ctx, ns, bucket, params.object_identifier!)));
  });

  route(env, {
    method: "DELETE", url: "/v1/buckets/:bucket_identifier/objects/:object_identifier", operationId: "deleteObject", summary: "Delete an object",
    tag: "Bucket Objects", response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const obj = await objectOf(ctx, ns, bucket, params.object_identifier!);
    await ctx.store.resources.delete("object", ns, obj.id);
    for (const b of (obj.data.blobs as BlobResponse[] | undefined) ?? []) {
      if (b.data.startsWith(`${BLOB_SCHEME}uploads/${ns}/${obj.id}/`)) await ctx.blobs.delete(b.data.slice(BLOB_SCHEME.length)).catch(() => {});
    }
    return deleted(`object ${obj.id}`);
  });

  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/objects/list", operationId: "listObjects", summary: "List a bucket's objects",
    tag: "Bucket Objects", body: ListRequest, query: ListQueryParams, response: listResponse(ObjectResponse),
  }, async ({ req, body, query, params, ns }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const { store, window } = listQuery(query, body, eqFilter("bucket_id", bucket.id));
    const page = await ctx.store.resources.list("object", ns, store);
    return ctx.sign(req, listBody(page.items.map(objectView), window, page.total));
  });

  // ── batches ──
  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/batches", operationId: "createBatch", summary: "Create a batch of objects",
    tag: "Bucket Batches", body: CreateBatchRequest,
    query: z.object({ skip_validation: z.preprocess((v) => v === "true" || v === true, z.boolean()).optional() }),
    response: BatchResponse,
  }, async ({ params, ns, body, query }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const ids = [...new Set(body.object_ids)];
    if (!query.skip_validation) {
      const missing: string[] = [];
      for (const id of ids) {
        const o = await ctx.store.resources.get("object", ns, id);
        if (!o || o.data.bucket_id !== bucket.id) missing.push(id);
      }
      if (missing.length) throw new ApiError("not_found", `Objects not found in bucket ${bucket.id}: ${missing.join(", ")}`, { missing_object_ids: missing });
    }
    if (body.collection_ids?.length) await collectionsForBucket(ctx, ns, bucket.id, body.collection_ids);
    const rec = await createBatchRecord(ctx, ns, bucket.id, ids, body);
    return batchView(rec);
  });

  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/batches/:batch_id/submit", operationId: "submitBatch",
    summary: "Submit a batch for processing (returns the task to poll)", tag: "Bucket Batches", body: SubmitBatchRequest, response: TaskResponse,
  }, async ({ params, ns, body }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const batch = await ctx.store.resources.get("batch", ns, params.batch_id!);
    if (!batch || batch.data.bucket_id !== bucket.id) throw ApiError.notFound("Batch", params.batch_id!);
    const taskId = await submitBatch(ctx, ns, batch, body.collection_ids);
    return taskView(await ctx.mustGet("task", ns, taskId, "Task"));
  });

  route(env, {
    method: "GET", url: "/v1/buckets/:bucket_identifier/batches/:batch_id", operationId: "getBatch", summary: "Get a batch",
    tag: "Bucket Batches", response: BatchResponse,
  }, async ({ params, ns }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const batch = await ctx.store.resources.get("batch", ns, params.batch_id!);
    if (!batch || batch.data.bucket_id !== bucket.id) throw ApiError.notFound("Batch", params.batch_id!);
    return batchView(batch);
  });

  route(env, {
    method: "POST", url: "/v1/buckets/:bucket_identifier/batches/list", operationId: "listBatches", summary: "List a bucket's batches",
    tag: "Bucket Batches", body: ListRequest, query: ListQueryParams, response: listResponse(BatchResponse),
  }, async ({ body, query, params, ns }) => {
    const bucket = await bucketOf(ctx, ns, params.bucket_identifier!);
    const { store, window } = listQuery(query, body, eqFilter("bucket_id", bucket.id));
    const page = await ctx.store.resources.list("batch", ns, store);
    return listBody(page.items.map(batchView), window, page.total);
  });
}
