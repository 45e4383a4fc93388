import { z } from "zod";
import {
  CollectionFeaturesResponse, CollectionResponse, CreateCollectionRequest, CreateDocumentRequest, DocumentResponse,
  FeatureExtractorResponse, GenericDeleteResponse, ListDocumentsExtra, ListQueryParams, ListRequest, TriggerCollectionRequest,
  TriggerCollectionResponse, UpdateCollectionRequest, listResponse, SCENE_DESCRIPTION, type BucketSchema,
} from "@scenecap/protocol";
import type { ResourceRecord } from "@scenecap/store";
import { eqFilter, type AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { extractorRegistry, findExtractor, resolveCollectionExtractor, sceneVectorIndex } from "../services/extractors.js";
import { createBatchRecord, submitBatch } from "../services/processing.js";
import { isConflict } from "../store-errors.js";
import { collectionView, documentView } from "../views.js";
import { deleted, listBody, listQuery, route, type RouteEnv } from "./shared.js";

async function retrieverCount(ctx: AppContext, ns: string, collectionId: string): Promise<number> {
  const all = await ctx.listAll("retriever", ns);
  return all.filter((r) => Array.isArray(r.data.collection_ids) && (r.data.collection_ids as string[]).includes(collectionId)).length;
}

async function view(ctx: AppContext, ns: string, rec: ResourceRecord) {
  return collectionView(rec, await ctx.store.documents.count(ns, rec.id), await retrieverCount(ctx, ns, rec.id));
}

const collectionOf = (ctx: AppContext, ns: string, ident: string) => ctx.mustGet("collection", ns, ident, "Collection");

const ListDocumentsRequest = ListRequest.extend(ListDocumentsExtra);

export function collectionRoutes(env: RouteEnv): void {
  const { ctx } = env;

  // ── feature extractor registry (namespace-free) ──
  route(env, {
    method: "GET", url: "/v1/collections/features/extractors", operationId: "listFeatureExtractors", summary: "List feature extractors",
    tag: "Feature Extractors", auth: "none", response: z.array(FeatureExtractorResponse),
  }, async () => extractorRegistry());

  route(env, {
    method: "GET", url: "/v1/collections/features/extractors/:feature_extractor_id", operationId: "getFeatureExtractor",
    summary: "Get a feature extractor (e.g. scene_description_v1)", tag: "Feature Extractors", auth: "none", response: FeatureExtractorResponse,
  }, async ({ params }) => {
    const fe = findExtractor(params.feature_extractor_id!);
    if (!fe) throw new ApiError("not_found", `Feature extractor ${params.feature_extractor_id} not found in registry.`);
    return fe;
  });

  // ── collections ──
  route(env, {
    method: "POST", url: "/v1/collections", operationId: "createCollection", summary: "Create a collection (source bucket + one extractor)",
    tag: "Collections", body: CreateCollectionRequest, response: CollectionResponse,
  }, async ({ body, ns }) => {
    const buckets: ResourceRecord[] = [];
    for (const ident of body.source.bucket_ids) buckets.push(await ctx.mustGet("bucket", ns, ident, "Bucket"));
    const schemas = buckets.map((b) => (b.data.bucket_schema as BucketSchema).properties);
    const resolved = resolveCollectionExtractor(body.feature_extractor, schemas);
    const source = { ...body.source, bucket_ids: buckets.map((b) => b.id) };
    const now = new Date().toISOString();
    try {
      const rec = await ctx.store.resources.create("collection", {
        id: newId.collection(), namespace_id: ns, name: body.collection_name, created_at: now, updated_at: now,
        data: {
          collection_name: body.collection_name,
          description: body.description,
          source,
          feature_extractor: resolved.feature_extractor,
          input_schema: body.input_schema,
          output_schema: resolved.output_schema,
          vector_indexes: resolved.vector_indexes,
          source_bucket_schemas: Object.fromEntries(buckets.map((b) => [b.id, b.data.bucket_schema])),
          source_lineage: [{ source_config: source, feature_extractor: resolved.feature_extractor, output_schema: resolved.output_schema }],
          enabled: body.enabled,
          metadata: body.metadata,
          taxonomy_applications: body.taxonomy_applications,
        },
      });
      return collectionView(rec, 0, 0);
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `Collection ${JSON.stringify(body.collection_name)} already exists`);
      throw err;
    }
  });

  route(env, {
    method: "GET", url: "/v1/collections/:collection_identifier", operationId: "getCollection", summary: "Get a collection (id or name)",
    tag: "Collections", response: CollectionResponse,
  }, async ({ params, ns }) => view(ctx, ns, await collectionOf(ctx, ns, params.collection_identifier!)));

  route(env, {
    method: "PATCH", url: "/v1/collections/:collection_identifier", operationId: "updateCollection",
    summary: "Update name, description, enabled, metadata", tag: "Collections", body: UpdateCollectionRequest, response: CollectionResponse,
  }, async ({ params, ns, body }) => {
    const rec = await collectionOf(ctx, ns, params.collection_identifier!);
    try {
      const updated = await ctx.store.resources.update("collection", ns, rec.id, (cur) => ({
        data: {
          ...cur.data,
          ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)),
        },
        ...(body.collection_name ? { name: body.collection_name } : {}),
      }));
      if (!updated) throw ApiError.notFound("Collection", params.collection_identifier!);
      return view(ctx, ns, updated);
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `Collection ${JSON.stringify(body.collection_name)} already exists`);
      throw err;
    }
  });

  route(env, {
    method: "DELETE", url: "/v1/collections/:collection_identifier", operationId: "deleteCollection",
    summary: "Delete a collection and its documents", tag: "Collections", response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const rec = await collectionOf(ctx, ns, params.collection_identifier!);
    await ctx.store.documents.deleteByCollection(ns, rec.id);
    await ctx.store.resources.delete("collection", ns, rec.id);
    return deleted(`collection ${rec.id}`);
  });

  route(env, {
    method: "POST", url: "/v1/collections/list", operationId: "listCollections", summary: "List collections", tag: "Collections",
    body: ListRequest, query: ListQueryParams, response: listResponse(CollectionResponse),
  }, async ({ body, query, ns }) => {
    const { store, window } = listQuery(query, body);
    const page = await ctx.store.resources.list("collection", ns, store);
    const results = [];
    for (const r of page.items) results.push(await view(ctx, ns, r));
    return listBody(results, window, page.total);
  });

  route(env, {
    method: "POST", url: "/v1/collections/:collection_identifier/trigger", operationId: "triggerCollection",
    summary: "Process every object of the source bucket(s) through this collection", tag: "Collections", status: 202,
    body: TriggerCollectionRequest, response: TriggerCollectionResponse,
  }, async ({ params, ns, body }) => {
    const rec = await collectionOf(ctx, ns, params.collection_identifier!);
    if (rec.data.enabled === false) throw new ApiError("bad_request", `Collection ${rec.id} is disabled; PATCH it with enabled: true first`);
    const sourceBuckets = ((rec.data.source as { bucket_ids?: string[] }).bucket_ids ?? []);
    let bucketIds = sourceBuckets;
    if (body.include_buckets?.length) {
      bucketIds = [];
      for (const ident of body.include_buckets) {
        const b = await ctx.mustGet("bucket", ns, ident, "Bucket");
        if (!sourceBuckets.includes(b.id)) throw new ApiError("bad_request", `Bucket ${ident} is not a source of collection ${rec.id}`);
        bucketIds.push(b.id);
      }
    }
    const sourceFilters = body.source_filters?.filters;
    const started: Array<{ batchId: string; taskId: string; objects: number }> = [];
    for (const bucketId of bucketIds) {
      const filters = sourceFilters ? { AND: [eqFilter("bucket_id", bucketId), sourceFilters] } : eqFilter("bucket_id", bucketId);
      const objects = await ctx.listAll("object", ns, { filters });
      if (objects.length === 0) continue;
      const objectIds = objects.map((o) => o.id);
      const batch = await createBatchRecord(ctx, ns, bucketId, objectIds, { batch_name: `trigger:${rec.id}`, collection_ids: [rec.id] });
      const taskId = await submitBatch(ctx, ns, batch, [rec.id]);
      started.push({ batchId: batch.id, taskId, objects: objectIds.length });
    }
    const first = started[0];
    if (!first) throw new ApiError("bad_request", `No objects to process in the source bucket(s) of collection ${rec.id}`);
    return {
      batch_id: first.batchId,
      task_id: first.taskId,
      collection_id: rec.id,
      source_bucket_ids: bucketIds,
      source_collection_ids: [],
      object_count: started.reduce((n, s) => n + s.objects, 0),
      document_count: await ctx.store.documents.count(ns, rec.id),
      total_tiers: 1,
      message: started.length === 1
        ? `Processing ${first.objects} object(s); poll task ${first.taskId}`
        : `Processing ${started.length} buckets; tasks ${started.map((s) => s.taskId).join(", ")}`,
    };
  });

  route(env, {
    method: "GET", url: "/v1/collections/:collection_identifier/features", operationId: "getCollectionFeatures",
    summary: "Searchable features of a collection (feature URIs)", tag: "Collections", response: CollectionFeaturesResponse,
  }, async ({ params, ns }) => {
    await collectionOf(ctx, ns, params.collection_identifier!);
    return {
      features: [{
        feature_address: SCENE_DESCRIPTION.featureUri,
        feature_extractor_name: SCENE_DESCRIPTION.name,
        version: SCENE_DESCRIPTION.version,
        vector_index: sceneVectorIndex.index,
        primary: true,
      }],
    };
  });

  // ── documents ──
  route(env, {
    method: "POST", url: "/v1/collections/:collection_identifier/documents", operationId: "createDocument",
    summary: "Create a document (root fields as given)", tag: "Collection Documents", body: CreateDocumentRequest, response: DocumentResponse,
  }, async ({ req, params, ns, body }) => {
    const col = await collectionOf(ctx, ns, params.collection_identifier!);
    const { document_id, object_id, ...fields } = body as Record<string, unknown> & { document_id?: string; object_id?: string | null };
    delete fields.collection_id;
    const id = document_id ?? newId.document();
    if (document_id && (await ctx.store.documents.get(ns, col.id, document_id))) throw new ApiError("conflict", `Document ${document_id} already exists`);
    const now = new Date().toISOString();
    const internal = (fields._internal as Record<string, unknown> | undefined) ?? {};
    fields._internal = { ...internal, namespace_id: ns, collection_id: col.id, document_id: id, created_at: now, updated_at: now };
    await ctx.store.documents.upsert([{ document_id: id, collection_id: col.id, namespace_id: ns, object_id: object_id ?? null, fields }]);
    const doc = await ctx.store.documents.get(ns, col.id, id);
    if (!doc) throw new ApiError("internal", "document vanished after write");
    return ctx.sign(req, documentView(doc));
  });

  route(env, {
    method: "POST", url: "/v1/collections/:collection_identifier/documents/list", operationId: "listDocuments",
    summary: "List (or full-text search with `search`) a collection's documents", tag: "Collection Documents",
    body: ListDocumentsRequest, query: ListQueryParams, response: listResponse(DocumentResponse),
  }, async ({ req, params, ns, body, query }) => {
    const col = await collectionOf(ctx, ns, params.collection_identifier!);
    const { store, window } = listQuery(query, body);
    let items: Array<Record<string, unknown>>;
    let total: number;
    if (body.search && body.search.trim()) {
      const res = await ctx.store.documents.search({
        namespace_id: ns, collection_ids: [col.id], text: body.search, ...(store.filters ? { filters: store.filters } : {}),
        limit: window.limit, offset: window.offset,
      });
      items = res.items.map((h) => ({ ...documentView(h.document), score: h.score, highlight: h.highlight }));
      total = res.total;
    } else {
      const { search: _s, ...rest } = store;
      const page = await ctx.store.documents.list(ns, col.id, rest);
      items = page.items.map(documentView);
      total = page.total;
    }
    if (body.select?.length) {
      items = items.map((d) => {
        const out: Record<string, unknown> = { document_id: d.document_id, collection_id: d.collection_id };
        for (const f of body.select!) if (f in d) out[f] = d[f];
        return out;
      });
    }
    return ctx.sign(req, listBody(items, window, total));
  });

  route(env, {
    method: "GET", url: "/v1/collections/:collection_identifier/documents/:document_id", operationId: "getDocument", summary: "Get a document",
    tag: "Collection Documents", response: DocumentResponse,
  }, async ({ req, params, ns }) => {
    const col = await collectionOf(ctx, ns, params.collection_identifier!);
    const doc = await ctx.store.documents.get(ns, col.id, params.document_id!);
    if (!doc) throw ApiError.notFound("Document", params.document_id!);
    return ctx.sign(req, documentView(doc));
  });

  route(env, {
    method: "DELETE", url: "/v1/collections/:collection_identifier/documents/:document_id", operationId: "deleteDocument",
    summary: "Delete a document", tag: "Collection Documents", response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const col = await collectionOf(ctx, ns, params.collection_identifier!);
    if (!(await ctx.store.documents.delete(ns, col.id, params.document_id!))) throw ApiError.notFound("Document", params.document_id!);
    return deleted(`document ${params.document_id}`);
  });
}
