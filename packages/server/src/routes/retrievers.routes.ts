import { z } from "zod";
import {
  AdhocExecuteRequest, CreateRetrieverRequest, CreateRetrieverResponse, ExecuteResponse, ExecuteRetrieverRequest,
  GenericDeleteResponse, ListQueryParams, ListRequest, PaginationResponse, RetrieverResponse, STAGES, StageDefinitionResponse,
  SCENE_DESCRIPTION,
} from "@scenecap/protocol";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { executePage, executeStages, executeStoredRetriever, resolveCollections } from "../services/retrieval.js";
import { answerExecution } from "./execution.js";
import { publicIdOf } from "./public-retrievers.routes.js";
import { isConflict } from "../store-errors.js";
import { retrieverView } from "../views.js";
import { deleted, listBody, listQuery, route, type RouteEnv } from "./shared.js";

const legacyQuery = z.object({
  include_legacy_results: z.preprocess((v) => v === "true" || v === true, z.boolean()).optional(),
  return_presigned_urls: z.string().optional(),
  return_vectors: z.string().optional(),
});

export function retrieverRoutes(env: RouteEnv): void {
  const { ctx } = env;

  route(env, {
    method: "GET", url: "/v1/retrievers/stages", operationId: "listRetrieverStages", summary: "Stages this server executes",
    tag: "Retrievers", auth: "key",
    response: z.object({ results: z.array(StageDefinitionResponse), total: z.number().int() }),
  }, async () => {
    const results = Object.entries(STAGES).map(([id, def]) => {
      const schema = z.toJSONSchema(def.params as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
      delete schema.$schema;
      return { stage_id: id, stage_type: def.type, description: def.description, parameter_schema: schema };
    });
    return { results, total: results.length };
  });

  route(env, {
    method: "POST", url: "/v1/retrievers", operationId: "createRetriever", summary: "Create a retriever (stage pipeline)", tag: "Retrievers",
    body: CreateRetrieverRequest, response: CreateRetrieverResponse,
  }, async ({ body, ns }) => {
    const collectionIds = await resolveCollections(ctx, ns, body.collection_identifiers);
    const now = new Date().toISOString();
    try {
      const rec = await ctx.store.resources.create("retriever", {
        id: newId.retriever(), namespace_id: ns, name: body.retriever_name, created_at: now, updated_at: now,
        data: {
          ...body,
          collection_ids: collectionIds,
          feature_dependencies: body.stages.some((s) => s.config.stage_id === "feature_search") ? [SCENE_DESCRIPTION.featureUri] : [],
          version: 1,
        },
      });
      const view = retrieverView(rec);
      return { retriever: view, retriever_id: view.retriever_id, retriever_name: view.retriever_name };
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `Retriever ${JSON.stringify(body.retriever_name)} already exists`);
      throw err;
    }
  });

  route(env, {
    method: "GET", url: "/v1/retrievers/:retriever_id", operationId: "getRetriever", summary: "Get a retriever (id or name)", tag: "Retrievers",
    response: RetrieverResponse,
  }, async ({ params, ns }) => retrieverView(await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever")));

  route(env, {
    method: "DELETE", url: "/v1/retrievers/:retriever_id", operationId: "deleteRetriever", summary: "Delete a retriever", tag: "Retrievers",
    response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const rec = await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever");
    await ctx.store.resources.delete("published_retriever", null, publicIdOf(rec.id)); // unpublish with it
    await ctx.store.resources.delete("retriever", ns, rec.id);
    return deleted(`retriever ${rec.id}`);
  });

  route(env, {
    method: "POST", url: "/v1/retrievers/list", operationId: "listRetrievers", summary: "List retrievers", tag: "Retrievers",
    body: ListRequest, query: ListQueryParams,
    response: z.object({ results: z.array(RetrieverResponse), pagination: PaginationResponse, total_count: z.number().int(), total: z.number().int() }),
  }, async ({ body, query, ns }) => {
    const { store, window } = listQuery(query, body);
    const page = await ctx.store.resources.list("retriever", ns, store);
    return { ...listBody(page.items.map(retrieverView), window, page.total), total: page.total };
  });

  route(env, {
    method: "POST", url: "/v1/retrievers/:retriever_id/execute", operationId: "executeRetriever", summary: "Execute a stored retriever",
    tag: "Retrievers", body: ExecuteRetrieverRequest, query: legacyQuery, response: ExecuteResponse,
  }, async ({ req, reply, params, ns, body, query }) => {
    const rec = await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever");
    return answerExecution(ctx, req, reply, { stream: body.stream, legacy: !!query.include_legacy_results }, (onEvent) =>
      executeStoredRetriever(ctx, ns, rec, { inputs: body.inputs, filters: body.filters, page: executePage(body.pagination, body.settings) }, onEvent));
  });

  route(env, {
    method: "POST", url: "/v1/retrievers/execute", operationId: "executeAdhocRetriever",
    summary: "Execute an ad-hoc (unsaved) retriever", tag: "Retrievers", body: AdhocExecuteRequest, query: legacyQuery, response: ExecuteResponse,
  }, async ({ req, reply, ns, body, query }) => {
    const collectionIds = await resolveCollections(ctx, ns, body.collection_identifiers);
    reply.header("X-Execution-Mode", "adhoc");
    return answerExecution(ctx, req, reply, { stream: body.stream, legacy: !!query.include_legacy_results }, (onEvent) =>
      executeStages(ctx, {
        ns,
        collectionIds,
        stages: body.stages,
        inputSchema: body.input_schema as Record<string, { required?: boolean; default?: unknown }>,
        inputs: body.inputs,
        ...(body.filters ? { filters: body.filters } : {}),
        page: executePage(body.pagination, body.settings),
      }, onEvent));
  });
}
