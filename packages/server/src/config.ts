import path from "node:path";
import { z } from "zod";

const byteSize = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(v);
    if (!m) {
      ctx.addIssue({ code: "custom", message: `not a size: ${JSON.stringify(v)} (use bytes or e.g. 64mb)` });
      return z.NEVER;
    }
    const mult: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };
    return Math.floor(Number(m[1]) * (mult[(m[2] ?? "b").toLowerCase()] ?? 1));
  })
  .pipe(z.number().int().positive());

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** Environment variables the server reads (once, at start). */
export const EnvSchema = z.object({
  /** @defaultValue 8080 */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** @defaultValue "0.0.0.0" */
  HOST: z.string().default("0.0.0.0"),
  /** Data directory for the default SQLite file and blobs. @defaultValue "./scenecap-data" */
  SCENECAP_DATA_DIR: z.string().default("./scenecap-data"),
  /** Store URL (`postgres://…`, `sqlite:<path>`, `sqlite::memory:`); DATABASE_URL is the fallback. */
  STORE_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  /** Set ⇒ jobs go to BullMQ on this Redis; unset ⇒ the durable local queue in the store (embedded mode). */
  REDIS_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  /** `bullmq` or `local`. @defaultValue bullmq when REDIS_URL is set, else local */
  SCENECAP_QUEUE: z.preprocess(emptyToUndefined, z.enum(["bullmq", "local"]).optional()),
  /** BullMQ key prefix. @defaultValue "bull" */
  SCENECAP_QUEUE_PREFIX: z.string().default("bull"),
  /** Comma-separated API keys accepted in addition to keys created with `scenecap keys create`. */
  SCENECAP_API_KEYS: z.string().default(""),
  /** Comma-separated admin keys: accepted as normal keys, and the only keys the queue admin routes accept. */
  SCENECAP_ADMIN_API_KEYS: z.string().default(""),
  /** @defaultValue "<data dir>/blobs" */
  SCENECAP_BLOB_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  /** HMAC secret for signed blob URLs; share it between replicas. @defaultValue random per process */
  SCENECAP_SIGNING_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "use at least 16 characters").optional()),
  /** Base URL clients reach the server at (signed URLs); default: from the request's Host header. */
  SCENECAP_PUBLIC_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  /** JSON body limit. @defaultValue 64mb */
  SCENECAP_BODY_LIMIT: byteSize.default(64 * 1024 * 1024),
  /** Raw upload limit. @defaultValue 4gb */
  SCENECAP_UPLOAD_LIMIT: byteSize.default(4 * 1024 ** 3),
  /** Lifetime of signed blob URLs in seconds. @defaultValue 3600 */
  SCENECAP_URL_TTL: z.coerce.number().int().positive().default(3600),
  /** @defaultValue "info" */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  storeUrl: string;
  queue: { kind: "bullmq"; redisUrl: string; prefix: string } | { kind: "local" };
  apiKeys: string[];
  /** Keys allowed on the queue admin routes (`/v1/queues…`); also accepted as normal keys. */
  adminApiKeys: string[];
  blobDir: string;
  signingSecret: string | undefined;
  publicUrl: string | undefined;
  bodyLimit: number;
  uploadLimit: number;
  urlTtlSeconds: number;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function splitKeys(list: string): string[] {
  return list.split(",").map((k) => k.trim()).filter(Boolean);
}

/** Parses the environment once; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid server configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SCENECAP_DATA_DIR);
  const queueKind = e.SCENECAP_QUEUE ?? (e.REDIS_URL ? "bullmq" : "local");
  if (queueKind === "bullmq" && !e.REDIS_URL) throw new ConfigError("Invalid server configuration:\n  SCENECAP_QUEUE=bullmq needs REDIS_URL");
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    storeUrl: e.STORE_URL ?? e.DATABASE_URL ?? `sqlite:${path.join(dataDir, "scenecap.db")}`,
    queue: queueKind === "bullmq" ? { kind: "bullmq", redisUrl: e.REDIS_URL!, prefix: e.SCENECAP_QUEUE_PREFIX } : { kind: "local" },
    apiKeys: splitKeys(e.SCENECAP_API_KEYS),
    adminApiKeys: splitKeys(e.SCENECAP_ADMIN_API_KEYS),
    blobDir: path.resolve(e.SCENECAP_BLOB_DIR ?? path.join(dataDir, "blobs")),
    signingSecret: e.SCENECAP_SIGNING_SECRET,
    publicUrl: e.SCENECAP_PUBLIC_URL?.replace(/\/+$/, ""),
    bodyLimit: e.SCENECAP_BODY_LIMIT,
    uploadLimit: e.SCENECAP_UPLOAD_LIMIT,
    urlTtlSeconds: e.SCENECAP_URL_TTL,
    logLevel: e.LOG_LEVEL,
  };
}

/** Config for tests and embedding: defaults with overrides, no environment read. */
export function defineConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...loadConfig({}), ...overrides };
}
