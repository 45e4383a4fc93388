import { z } from "zod";
import {
  CreateNamespaceRequest, GenericDeleteResponse, ListQueryParams, ListRequest, NamespaceResponse, UpdateNamespaceRequest, listResponse,
} from "@scenecap/protocol";
import type { ApiKeyRecord, ResourceKind, ResourceRecord } from "@scenecap/store";
import { findNamespace, namespaceData, namespaceStoredName } from "../auth.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { namespaceView } from "../views.js";
import { deleted, listBody, listQuery, route, type RouteEnv } from "./shared.js";
import { isConflict } from "../store-errors.js";

const Params = z.object({ namespace_identifier: z.string() });

async function counts(ctx: AppContext, ns: string) {
  const collections = await ctx.listAll("collection", ns);
  let documents = 0;
  for (const c of collections) documents += await ctx.store.documents.count(ns, c.id);
  return {
    document_count: documents,
    bucket_count: await ctx.count("bucket", ns),
    collection_count: collections.length,
    object_count: await ctx.count("object", ns),
  };
}

async function mustFind(ctx: AppContext, key: ApiKeyRecord, ident: string): Promise<ResourceRecord> {
  const ns = await findNamespace(ctx.store, key, ident);
  if (!ns) throw ApiError.notFound("Namespace", ident);
  return ns;
}

/** Deletes everything a namespace holds (documents, then records), then the namespace. */
async function cascadeDelete(ctx: AppContext, ns: string): Promise<void> {
  for (const c of await ctx.listAll("collection", ns)) await ctx.store.documents.deleteByCollection(ns, c.id);
  const kinds: ResourceKind[] = ["retriever", "task", "batch", "object", "collection", "bucket"];
  for (const kind of kinds) {
    for (const r of await ctx.listAll(kind, ns)) await ctx.store.resources.delete(kind, ns, r.id);
  }
  await ctx.store.resources.delete("namespace", null, ns);
}

export function namespaceRoutes(env: RouteEnv): void {
  const { ctx } = env;

  route(env, {
    method: "POST", url: "/v1/namespaces", operationId: "createNamespace", summary: "Create a namespace", tag: "Namespaces",
    auth: "key", body: CreateNamespaceRequest, response: NamespaceResponse,
  }, async ({ body, key }) => {
    const now = new Date().toISOString();
    let rec: ResourceRecord;
    try {
      rec = await ctx.store.resources.create("namespace", {
        id: newId.namespace(),
        namespace_id: null,
        name: namespaceStoredName(key.key_id, body.namespace_name),
        created_at: now,
        updated_at: now,
        data: namespaceData(key.key_id, body.namespace_name, body.description ?? null, body.feature_extractors),
      });
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `Namespace ${JSON.stringify(body.namespace_name)} already exists`);
      throw err;
    }
    await ctx.store.apiKeys.grant(key.key_id, rec.id);
    return namespaceView(rec, { document_count: 0, bucket_count: 0, collection_count: 0, object_count: 0 });
  });

  route(env, {
    method: "GET", url: "/v1/namespaces/:namespace_identifier", operationId: "getNamespace", summary: "Get a namespace (id or name)",
    tag: "Namespaces", auth: "key", response: NamespaceResponse,
  }, async ({ params, key }) => {
    const rec = await mustFind(ctx, key, Params.parse(params).namespace_identifier);
    return namespaceView(rec, await counts(ctx, rec.id));
  });

  for (const method of ["PATCH", "PUT"] as const) {
    route(env, {
      method, url: "/v1/namespaces/:namespace_identifier", operationId: method === "PATCH" ? "updateNamespace" : "replaceNamespace",
      summary: "Update a namespace's name or description", tag: "Namespaces", auth: "key", body: UpdateNamespaceRequest, response: NamespaceResponse,
    }, async ({ params, key, body }) => {
      const rec = await mustFind(ctx, key, params.namespace_identifier!);
      let updated: ResourceRecord | null;
      try {
        updated = await ctx.store.resources.update("namespace", null, rec.id, (cur) => ({
          data: {
            ...cur.data,
            ...(body.namespace_name ? { namespace_name: body.namespace_name } : {}),
            ...(body.description !== undefined ? { description: body.description } : {}),
            ...(body.feature_extractors ? { feature_extractors: namespaceData(key.key_id, "", null, body.feature_extractors).feature_extractors } : {}),
          },
          ...(body.namespace_name ? { name: namespaceStoredName(key.key_id, body.namespace_name) } : {}),
        }));
      } catch (err) {
        if (isConflict(err)) throw new ApiError("conflict", `Namespace ${JSON.stringify(body.namespace_name)} already exists`);
        throw err;
      }
      if (!updated) throw ApiError.notFound("Namespace", params.namespace_identifier!);
      return namespaceView(updated, await counts(ctx, rec.id));
    });
  }

  route(env, {
    method: "DELETE", url: "/v1/namespaces/:namespace_identifier", operationId: "deleteNamespace",
    summary: "Delete a namespace and everything in it", tag: "Namespaces", auth: "key", response: GenericDeleteResponse,
  }, async ({ params, key }) => {
    const rec = await mustFind(ctx, key, params.namespace_identifier!);
    await cascadeDelete(ctx, rec.id);
    return deleted(`namespace ${rec.id}`);
  });

  route(env, {
    method: "POST", url: "/v1/namespaces/list", operationId: "listNamespaces", summary: "List this key's namespaces", tag: "Namespaces",
    auth: "key", body: ListRequest, query: ListQueryParams, response: listResponse(NamespaceResponse),
  }, async ({ body, query, key }) => {
    const { store, window } = listQuery(query, body, { AND: [{ field: "owner_key_id", operator: "eq", value: key.key_id }] });
    const page = await ctx.store.resources.list("namespace", null, store);
    const results = [];
    for (const r of page.items) results.push(namespaceView(r, await counts(ctx, r.id)));
    return listBody(results, window, page.total);
  });
}
