import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ErrorEnvelope } from "@scenecap/protocol";
import type { ApiKeyRecord } from "@scenecap/store";
import { ApiError } from "./errors.js";

export type AuthMode = "none" | "key" | "namespace" | "admin";

export interface RouteDef<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Fastify path (`/v1/buckets/:bucket_identifier`). */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /**
   * "namespace": key + X-Namespace (or the key's default namespace); "key": key only; "admin": an admin key
   * (`SCENECAP_ADMIN_API_KEYS`; another key gets 403); "none": public. @defaultValue "namespace"
   */
  auth?: AuthMode;
  body?: B;
  query?: Q;
  response?: z.ZodType;
  /** @defaultValue 200 */
  status?: number;
  /** Response is not JSON (files); documented as binary. */
  binary?: boolean;
}

export interface RouteCtx<B, Q> {
  req: FastifyRequest;
  reply: FastifyReply;
  body: B;
  query: Q;
  params: Record<string, string>;
  /** The caller's key ("key"/"namespace" routes). */
  key: ApiKeyRecord;
  /** The namespace id ("namespace" routes; "" otherwise). */
  ns: string;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Authenticator {
  key(req: FastifyRequest): Promise<ApiKeyRecord>;
  namespace(req: FastifyRequest, key: ApiKeyRecord): Promise<string>;
  /** Whether the key may use the admin routes. */
  isAdmin(key: ApiKeyRecord): boolean;
}

/** Registered routes, in order, for the OpenAPI document. */
export type RouteRegistry = Array<RouteDef<z.ZodType | undefined, z.ZodType | undefined>>;

declare module "fastify" {
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
    namespaceId: string | null;
  }
}

/** Registers a route: auth before the body is read, zod validation (422 with paths), one JSON answer. */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  app: FastifyInstance,
  registry: RouteRegistry,
  auth: Authenticator,
  def: RouteDef<B, Q>,
  handler: (ctx: RouteCtx<Out<B>, Out<Q>>) => Promise<unknown>,
): void {
  registry.push(def as RouteDef<z.ZodType | undefined, z.ZodType | undefined>);
  const mode = def.auth ?? "namespace";
  app.route({
    method: def.method,
    url: def.url,
    onRequest: async (req) => {
      if (mode === "none") return;
      const key = await auth.key(req);
      req.apiKey = key;
      if (mode === "admin" && !auth.isAdmin(key)) {
        throw new ApiError("forbidden", "This route needs an admin API key (one listed in SCENECAP_ADMIN_API_KEYS)");
      }
      if (mode === "namespace") req.namespaceId = await auth.namespace(req, key);
    },
    handler: async (req, reply) => {
      let body: unknown = undefined;
      if (def.body) {
        const parsed = def.body.safeParse(req.body ?? {});
        if (!parsed.success) throw ApiError.validation(parsed.error, "body");
        body = parsed.data;
      }
      let query: unknown = undefined;
      if (def.query) {
        const parsed = def.query.safeParse(req.query ?? {});
        if (!parsed.success) throw ApiError.validation(parsed.error, "query");
        query = parsed.data;
      }
      const result = await handler({
        req,
        reply,
        body: body as Out<B>,
        query: query as Out<Q>,
        params: (req.params ?? {}) as Record<string, string>,
        key: req.apiKey as ApiKeyRecord,
        ns: req.namespaceId ?? "",
      });
      if (reply.sent) return reply;
      reply.code(def.status ?? 200);
      return result;
    },
  });
}

// ── OpenAPI ────────────────────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

/**
 * JSON Schema for one zod schema, with nested `$defs` and self references (`#`) hoisted into
 * `components.schemas` so every `$ref` resolves inside the OpenAPI document.
 */
function toComponentSchema(schema: z.ZodType, name: string, io: "input" | "output", components: Json): Json {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
  delete raw.$schema;
  const defs = (raw.$defs ?? {}) as Record<string, Json>;
  delete raw.$defs;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === "object") {
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") {
          if (x === "#") {
            o[k] = `#/components/schemas/${name}`;
          } else if (x.startsWith("#/$defs/")) {
            o[k] = `#/components/schemas/${name}_${x.slice("#/$defs/".length)}`;
          } else o[k] = x;
        } else o[k] = rewrite(x);
      }
      return o;
    }
    return v;
  };
  for (const [k, d] of Object.entries(defs)) components[`${name}_${k}`] = rewrite(d);
  const body = rewrite(raw) as Json;
  components[name] = body;
  return { $ref: `#/components/schemas/${name}` };
}

export function buildOpenApi(registry: RouteRegistry, info: { version: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  const envelopeRef = toComponentSchema(ErrorEnvelope, "ErrorResponse", "output", components);
  for (const def of registry) {
    const path = def.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*$/, "{key}");
    const params = [...def.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    if (def.url.endsWith("*")) params.push({ name: "key", in: "path", required: true, schema: { type: "string" } });
    const parameters: Json[] = [...params];
    if (def.query) {
      const q = z.toJSONSchema(def.query, { io: "input", unrepresentable: "any" }) as Json;
      const props = (q.properties ?? {}) as Record<string, Json>;
      const required = new Set((q.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: "query", required: required.has(name), schema });
    }
    if ((def.auth ?? "namespace") === "namespace") {
      parameters.push({
        name: "X-Namespace", in: "header", required: false, schema: { type: "string" },
        description: "Namespace id or name; default: the API key's default namespace",
      });
    }
    const op: Json = { operationId: def.operationId, summary: def.summary, tags: [def.tag], parameters };
    if ((def.auth ?? "namespace") !== "none") op.security = [{ bearerAuth: [] }];
    if (def.body) {
      op.requestBody = {
        required: true,
        content: { "application/json": { schema: toComponentSchema(def.body, `${def.operationId}Request`, "input", components) } },
      };
    }
    const ok = String(def.status ?? 200);
    const responses: Json = {};
    responses[ok] = def.binary
      ? { description: "File contents", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } }
      : {
          description: "Success",
          content: {
            "application/json": {
              schema: def.response ? toComponentSchema(def.response, `${def.operationId}Response`, "output", components) : {},
            },
          },
        };
    const err = { content: { "application/json": { schema: envelopeRef } } };
    const errors: Array<[string, string]> = [["400", "Bad request"], ["401", "Missing or invalid API key"], ["404", "Not found"], ["422", "Validation error"], ["500", "Internal error"]];
    if (def.auth === "admin") errors.splice(2, 0, ["403", "Not an admin API key"]);
    for (const [code, description] of errors) responses[code] = { description, ...err };
    op.responses = responses;
    (paths[path] ??= {})[def.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "scenecap (Mixpeek-compatible API)", version: info.version },
    servers: [{ url: "/" }],
    paths,
    components: { schemas: components, securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
  };
}
