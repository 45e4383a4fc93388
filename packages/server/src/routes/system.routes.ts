import { createReadStream } from "node:fs";
import { z } from "zod";
import { HealthResponse } from "@scenecap/protocol";
import { mimeFromFilename } from "../blobs.js";
import { ApiError } from "../errors.js";
import { buildOpenApi } from "../http.js";
import { VERSION } from "../version.js";
import { route, type RouteEnv } from "./shared.js";

export function systemRoutes(env: RouteEnv): void {
  const { ctx, registry } = env;

  route(env, {
    method: "GET", url: "/v1/health", operationId: "health", summary: "Liveness and backends", tag: "System", auth: "none",
    response: HealthResponse,
  }, async () => ({ status: "ok" as const, version: VERSION, store: ctx.store.kind, queue: ctx.queue.kind }));

  let doc: Record<string, unknown> | undefined;
  for (const url of ["/openapi.json", "/v1/openapi.json", "/docs/openapi.json"]) {
    env.app.get(url, async () => (doc ??= buildOpenApi(registry, { version: VERSION })));
  }

  route(env, {
    method: "GET", url: "/v1/blobs/*", operationId: "getBlob", summary: "Stored file behind a signed URL (expires, sig)", tag: "System",
    auth: "none", binary: true, query: z.object({ expires: z.string().optional(), sig: z.string().optional() }),
  }, async ({ reply, params, query }) => {
    const key = params["*"] ?? "";
    if (!query.expires || !query.sig) throw new ApiError("unauthorized", "Missing signature; use the signed URL the API returned");
    if (!ctx.signer.verify(key, query.expires, query.sig)) throw new ApiError("forbidden", "Invalid or expired signature");
    let file: string;
    try {
      file = await ctx.blobs.path(key);
    } catch {
      throw ApiError.notFound("Blob", key);
    }
    reply.header("Content-Type", mimeFromFilename(key) ?? "application/octet-stream");
    reply.header("Cache-Control", "private, max-age=300");
    return reply.send(createReadStream(file));
  });
}
