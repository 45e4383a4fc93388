import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { authenticate, hashApiKey, resolveNamespace } from "./auth.js";
import type { ServerConfig } from "./config.js";
import { AppContext } from "./context.js";
import { ApiError, toApiError } from "./errors.js";
import type { Authenticator, RouteRegistry } from "./http.js";
import type { JobQueue } from "./queue.js";
import { bucketRoutes } from "./routes/buckets.routes.js";
import { presignedUploadRoutes, uploadRoutes } from "./routes/uploads.routes.js";
import { collectionRoutes } from "./routes/collections.routes.js";
import { namespaceRoutes } from "./routes/namespaces.routes.js";
import { queueRoutes } from "./routes/queues.routes.js";
import { publicRetrieverRoutes, publishRoutes } from "./routes/public-retrievers.routes.js";
import { retrieverRoutes } from "./routes/retrievers.routes.js";
import type { RouteEnv } from "./routes/shared.js";
import { systemRoutes } from "./routes/system.routes.js";
import { taskRoutes } from "./routes/tasks.routes.js";

export interface CreateServerOptions {
  store: CollectionStore;
  queue: JobQueue;
  blobs: BlobStore;
  config: ServerConfig;
  /** Fastify logger option (false, true, pino options or a pino instance). @defaultValue false */
  logger?: FastifyServerOptions["logger"] | FastifyServerOptions["loggerInstance"];
}

/**
 * The Mixpeek-compatible REST API as a Fastify instance. It never listens: call `listen()` yourself
 * (or use `startServer`), or drive it with `inject()` in tests.
 */
export function createServer(opts: CreateServerOptions): FastifyInstance {
  const { store, queue, blobs, config } = opts;
  const logger = opts.logger ?? false;
  const isInstance = typeof logger === "object" && logger !== null && typeof (logger as { child?: unknown }).child === "function";
  const app = Fastify({
    ...(isInstance ? { loggerInstance: logger as never } : { logger: logger as FastifyServerOptions["logger"] }),
    bodyLimit: config.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;
  const ctx = new AppContext(store, queue, blobs, config);
  const registry: RouteRegistry = [];
  const adminHashes = new Set(config.adminApiKeys.map(hashApiKey));
  const auth: Authenticator = {
    key: (req) => authenticate(store, req.headers.authorization),
    namespace: (req, key) => {
      const h = req.headers["x-namespace"];
      return resolveNamespace(store, key, Array.isArray(h) ? h[0] : h);
    },
    isAdmin: (key) => adminHashes.has(key.key_hash),
  };

  app.decorateRequest("apiKey", null);
  app.decorateRequest("namespaceId", null);

  // JSON bodies: an empty body is "no body" (clients POST list calls without one); the rest is parsed safely.
  const defaultJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    defaultJson(req, text, done);
  });

  app.setErrorHandler((err, req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.status >= 500) req.log.error({ err }, "request failed");
    reply.code(apiErr.status).send(apiErr.toEnvelope());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError("not_found", `Route ${req.method} ${req.url.split("?")[0]} not found`);
    reply.code(404).send(e.toEnvelope());
  });

  const env: RouteEnv = { app, ctx, registry, auth };
  systemRoutes(env);
  namespaceRoutes(env);
  bucketRoutes(env);
  collectionRoutes(env);
  taskRoutes(env);
  retrieverRoutes(env);
  publishRoutes(env);
  // Own context: the public routes' CORS hook applies to them alone.
  app.register(async (child) => {
    publicRetrieverRoutes({ ...env, app: child });
  });
  queueRoutes(env);
  presignedUploadRoutes(env);
  app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    uploadRoutes({ ...env, app: child });
  });
  return app;
}
