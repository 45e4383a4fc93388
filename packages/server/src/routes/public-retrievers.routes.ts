import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  ExecuteResponse, ExecuteRetrieverRequest, GenericDeleteResponse, PublicName, PublicRetrieverConfigResponse,
  PublishedRetrieverResponse, PublishRetrieverRequest, RateLimitConfig, filterFields, type RetrieverStreamEvent,
} from "@scenecap/protocol";
import type { ResourceRecord } from "@scenecap/store";
import { hashApiKey } from "../auth.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { RateLimiter } from "../services/rate-limit.js";
import { executePage, executeStoredRetriever, type ExecuteResult } from "../services/retrieval.js";
import { isConflict } from "../store-errors.js";
import { answerExecution } from "./execution.js";
import { deleted, route, type RouteEnv } from "./shared.js";

/** A retriever has at most one publication, found by this id (retriever ids are global). */
export const publicIdOf = (retrieverId: string) => `pub_${retrieverId.replace(/^ret_/, "")}`;

/** Slug from a display name: lowercase, runs of other characters → "-", at most 50 characters. */
function slugOf(displayName: string): string {
  return displayName
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 50)
    .replace(/^-+|-+$/g, "");
}

function publicationView(ctx: AppContext, req: FastifyRequest, rec: ResourceRecord) {
  const d = rec.data;
  return {
    retriever_id: String(d.retriever_id),
    public_id: rec.id,
    public_name: rec.name ?? "",
    display_name: (d.display_name as string | null) ?? null,
    description: (d.description as string | null) ?? null,
    display_config: (d.display_config as Record<string, unknown> | null) ?? null,
    rate_limit_config: (d.rate_limit_config as Record<string, unknown> | null) ?? null,
    require_api_key: d.require_api_key === true,
    public_url: `${ctx.baseUrl(req)}/v1/public/retrievers/${rec.name}/execute`,
    created_at: rec.created_at,
  };
}

/**
 * Publishing (`/v1/retrievers/{id}/publish`, with the owner's key and namespace): one public name per retriever,
 * unique across the server, and a `ret_sk_` key shown once.
 */
export function publishRoutes(env: RouteEnv): void {
  const { ctx } = env;

  route(env, {
    method: "POST", url: "/v1/retrievers/:retriever_id/publish", operationId: "publishRetriever",
    summary: "Publish a retriever at /v1/public/retrievers/{public_name}", tag: "Published retrievers",
    body: PublishRetrieverRequest, response: PublishedRetrieverResponse,
  }, async ({ req, params, ns, body }) => {
    const retriever = await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever");
    const publicName = body.public_name ?? slugOf(body.display_name!);
    const slug = PublicName.safeParse(publicName);
    if (!slug.success) {
      throw new ApiError("validation", `display_name ${JSON.stringify(body.display_name)} gives no usable public_name; pass public_name`, {
        validation_errors: [{ loc: ["body", "public_name"], path: "public_name", message: slug.error.issues[0]!.message, type: "value_error" }],
      });
    }
    const existing = await ctx.store.resources.get("published_retriever", null, publicIdOf(retriever.id));
    if (existing) throw new ApiError("conflict", `Retriever ${retriever.id} is already published as "${existing.name}"; unpublish it first`);
    const apiKey = `ret_sk_${randomBytes(24).toString("base64url")}`;
    const now = new Date().toISOString();
    let rec: ResourceRecord;
    try {
      rec = await ctx.store.resources.create("published_retriever", {
        id: publicIdOf(retriever.id),
        namespace_id: null,
        name: slug.data,
        created_at: now,
        updated_at: now,
        data: {
          retriever_id: retriever.id,
          namespace_id: ns,
          display_name: body.display_name ?? null,
          description: body.description ?? null,
          display_config: body.display_config ?? (retriever.data.display_config as Record<string, unknown> | null) ?? null,
          rate_limit_config: body.rate_limit_config ?? null,
          require_api_key: body.require_api_key,
          key_hash: hashApiKey(apiKey),
        },
      });
    } catch (err) {
      if (isConflict(err)) throw new ApiError("conflict", `The public name "${slug.data}" is taken`);
      throw err;
    }
    return { ...publicationView(ctx, req, rec), public_api_key: apiKey };
  });

  route(env, {
    method: "GET", url: "/v1/retrievers/:retriever_id/publish", operationId: "getPublishedRetriever",
    summary: "Get a retriever's publication (without its key)", tag: "Published retrievers", response: PublishedRetrieverResponse,
  }, async ({ req, params, ns }) => {
    const retriever = await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever");
    const rec = await ctx.store.resources.get("published_retriever", null, publicIdOf(retriever.id));
    if (!rec) throw new ApiError("not_found", `Retriever ${retriever.id} is not published`);
    return publicationView(ctx, req, rec);
  });

  route(env, {
    method: "DELETE", url: "/v1/retrievers/:retriever_id/publish", operationId: "unpublishRetriever",
    summary: "Unpublish a retriever (its public name and key stop working)", tag: "Published retrievers", response: GenericDeleteResponse,
  }, async ({ params, ns }) => {
    const retriever = await ctx.mustGet("retriever", ns, params.retriever_id!, "Retriever");
    if (!(await ctx.store.resources.delete("published_retriever", null, publicIdOf(retriever.id)))) {
      throw new ApiError("not_found", `Retriever ${retriever.id} is not published`);
    }
    return deleted(`publication of retriever ${retriever.id}`);
  });
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-ratelimit-window, retry-after",
};

/**
 * The public side (`/v1/public/retrievers/{public_name}/…`): no account key; an `X-Public-API-Key` is checked
 * when sent (and required when the publication says so). Browsers may call it from any origin. Results drop
 * `_internal` and, when `display_config.exposed_fields` is set, every other field not listed.
 */
export function publicRetrieverRoutes(env: RouteEnv): void {
  const { ctx, app } = env;
  const limiter = new RateLimiter();

  app.addHook("onRequest", async (_req, reply) => {
    reply.headers(CORS_HEADERS);
  });
  app.options("/v1/public/retrievers/:public_name/*", async (_req, reply) => {
    reply
      .code(204)
      .headers({ "access-control-allow-methods": "GET, POST, OPTIONS", "access-control-allow-headers": "content-type, x-public-api-key", "access-control-max-age": "600" })
      .send();
  });

  async function publication(
    req: FastifyRequest,
    reply: FastifyReply,
    publicName: string,
  ): Promise<{ rec: ResourceRecord; retriever: ResourceRecord; limits: RateLimitConfig }> {
    const rec = PublicName.safeParse(publicName).success ? await ctx.store.resources.get("published_retriever", null, publicName) : null;
    // Looked up by name only: a public id is not a public name.
    if (!rec || rec.name !== publicName) throw new ApiError("not_found", `No published retriever named "${publicName}"`);
    const sent = req.headers["x-public-api-key"];
    const key = Array.isArray(sent) ? sent[0] : sent;
    if (key !== undefined && !sameHash(hashApiKey(key), String(rec.data.key_hash))) throw new ApiError("unauthorized", "Invalid X-Public-API-Key");
    if (key === undefined && rec.data.require_api_key === true) throw new ApiError("unauthorized", `Retriever "${publicName}" needs its X-Public-API-Key`);
    const ns = String(rec.data.namespace_id);
    const retriever = await ctx.store.resources.get("retriever", ns, String(rec.data.retriever_id));
    if (!retriever) throw new ApiError("not_found", `No published retriever named "${publicName}"`);
    const limits = RateLimitConfig.parse(rec.data.rate_limit_config ?? {});
    if (rec.data.rate_limit_config && limits.enabled) {
      const decision = limiter.take(rec.id, limits);
      if (!decision.ok) {
        reply.header("retry-after", String(decision.retryAfterS));
        throw new ApiError("rate_limited", `Rate limit of ${decision.limit} requests per ${decision.window} reached; retry in ${decision.retryAfterS} s`, {
          limit: decision.limit, window: decision.window, retry_after: decision.retryAfterS,
        });
      }
      if (decision.limit !== null) {
        reply.headers({
          "x-ratelimit-limit": String(decision.limit),
          "x-ratelimit-remaining": String(decision.remaining),
          "x-ratelimit-reset": String(decision.resetS),
          "x-ratelimit-window": decision.window!,
        });
      }
    }
    return { rec, retriever, limits };
  }

  route(env, {
    method: "POST", url: "/v1/public/retrievers/:public_name/execute", operationId: "executePublicRetriever",
    summary: "Execute a published retriever (no account key; X-Public-API-Key when required)", tag: "Published retrievers", auth: "none",
    body: ExecuteRetrieverRequest, response: ExecuteResponse,
  }, async ({ req, reply, params, body }) => {
    const { rec, retriever, limits } = await publication(req, reply, params.public_name!);
    const ns = String(rec.data.namespace_id);
    const page = executePage(body.pagination, body.settings);
    const exposed = ((rec.data.display_config as { exposed_fields?: string[] } | null)?.exposed_fields ?? []).filter((f) => typeof f === "string");
    const project = (docs: ExecuteResult["documents"] | undefined) => docs?.map((d) => exposeFields(d, exposed));
    // A filter on a hidden field would reveal its values through which documents match.
    const hidden = exposed.length > 0 ? filterFields(body.filters).filter((f) => !exposedKeys(exposed).has(f.split(".")[0]!)) : [];
    if (hidden.length > 0) {
      throw new ApiError("bad_request", `filters may only name exposed fields (${exposed.join(", ")}); ${JSON.stringify(hidden[0])} is not exposed`);
    }
    return answerExecution(ctx, req, reply, { stream: body.stream, legacy: false }, async (onEvent) => {
      const forward = onEvent && ((e: RetrieverStreamEvent) => onEvent(e.documents ? { ...e, documents: project(e.documents) } : e));
      const out = await executeStoredRetriever(ctx, ns, retriever, {
        inputs: body.inputs,
        filters: body.filters,
        page: { limit: Math.min(page.limit, limits.max_results_per_query), offset: page.offset },
      }, forward);
      return { ...out, documents: project(out.documents)! };
    });
  });

  route(env, {
    method: "GET", url: "/v1/public/retrievers/:public_name/config", operationId: "getPublicRetrieverConfig",
    summary: "What a public search page needs: names, display configuration and the input schema", tag: "Published retrievers", auth: "none",
    response: PublicRetrieverConfigResponse,
  }, async ({ req, reply, params }) => {
    const { rec, retriever } = await publication(req, reply, params.public_name!);
    const view = publicationView(ctx, req, rec);
    return {
      public_name: view.public_name,
      display_name: view.display_name,
      description: view.description,
      display_config: view.display_config,
      input_schema: (retriever.data.input_schema as Record<string, unknown>) ?? {},
      require_api_key: view.require_api_key,
    };
  });
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Top-level document keys public callers see under `exposed_fields` (dotted paths count by their first key). */
function exposedKeys(exposed: string[]): Set<string> {
  return new Set(["document_id", "collection_id", "score", "highlight", ...exposed.map((f) => f.split(".")[0]!)]);
}

/** Never `_internal`; with `exposed_fields`, only those fields and the identifiers. */
function exposeFields<T extends Record<string, unknown>>(doc: T, exposed: string[]): T {
  const { _internal, ...rest } = doc;
  if (exposed.length === 0) return rest as T;
  const keep = exposedKeys(exposed);
  return Object.fromEntries(Object.entries(rest).filter(([k]) => keep.has(k))) as T;
}

