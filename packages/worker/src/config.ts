import { join, resolve } from "node:path";
import { defaultModelsDir } from "@scenecap/blip2/models-dir";
import { z } from "zod";

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const bool = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const s = v.trim().toLowerCase();
  return ["1", "true", "yes", "on"].includes(s) ? true : ["0", "false", "no", "off", ""].includes(s) ? false : v;
}, z.boolean());

/** Environment variables the worker reads (once, at start). */
export const WorkerEnv = z.object({
  /** Set ⇒ consume BullMQ queues on this Redis; unset ⇒ run the store's local queue (embedded mode). */
  REDIS_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  /** BullMQ key prefix; must match the server's. @defaultValue "bull" */
  SCENECAP_QUEUE_PREFIX: z.string().default("bull"),
  /** Store URL (`postgres://…`, `sqlite:<path>`); DATABASE_URL is the fallback. */
  STORE_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().optional()),
  /** @defaultValue "./scenecap-data" */
  SCENECAP_DATA_DIR: z.string().default("./scenecap-data"),
  /** @defaultValue "~/.cache/scenecap/models" */
  SCENECAP_MODELS_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  /** @defaultValue "<data dir>/blobs" */
  SCENECAP_BLOB_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  /** Jobs run at once per worker process. @defaultValue 1 */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(1),
  /** @defaultValue "auto" */
  DEVICE: z.enum(["auto", "cpu", "cuda", "webgpu"]).default("auto"),
  /** @defaultValue "fp32" */
  PRECISION: z.enum(["fp32", "fp16", "int8", "int4"]).default("fp32"),
  /** Largest inference batch. @defaultValue 8 */
  BATCH_SIZE: z.coerce.number().int().min(1).max(1024).default(8),
  /** How long a batch waits to fill, ms. @defaultValue 20 */
  BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  /** Allow sources on loopback/private networks. @defaultValue false */
  ALLOW_PRIVATE_NETWORKS: bool.default(false),
  /** Lease of a job claimed from the store's local queue (embedded mode), ms; a crashed process's jobs come back after it. @defaultValue 60 000 */
  SCENECAP_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Largest download, bytes. @defaultValue 2 GiB */
  SCENECAP_FETCH_MAX_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /** Download time limit, ms. @defaultValue 300 000 */
  SCENECAP_FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
});

export interface WorkerConfig {
  queue: { kind: "bullmq"; redisUrl: string; prefix: string } | { kind: "local" };
  storeUrl: string;
  blobDir: string;
  modelsDir: string;
  concurrency: number;
  device: "auto" | "cpu" | "cuda" | "webgpu";
  precision: "fp32" | "fp16" | "int8" | "int4";
  batchSize: number;
  batchWaitMs: number;
  allowPrivateNetworks: boolean;
  fetchMaxBytes: number;
  fetchTimeoutMs: number;
  leaseMs: number;
}

export class WorkerConfigError extends Error {
  override readonly name = "WorkerConfigError";
}

/** Parses the environment once; throws `WorkerConfigError` naming every bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = WorkerEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new WorkerConfigError(`Invalid worker configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.SCENECAP_DATA_DIR);
  return {
    queue: e.REDIS_URL ? { kind: "bullmq", redisUrl: e.REDIS_URL, prefix: e.SCENECAP_QUEUE_PREFIX } : { kind: "local" },
    storeUrl: e.STORE_URL ?? e.DATABASE_URL ?? `sqlite:${join(dataDir, "scenecap.db")}`,
    blobDir: resolve(e.SCENECAP_BLOB_DIR ?? join(dataDir, "blobs")),
    modelsDir: resolve(defaultModelsDir(env)),
    concurrency: e.WORKER_CONCURRENCY,
    device: e.DEVICE,
    precision: e.PRECISION,
    batchSize: e.BATCH_SIZE,
    batchWaitMs: e.BATCH_WAIT_MS,
    allowPrivateNetworks: e.ALLOW_PRIVATE_NETWORKS,
    fetchMaxBytes: e.SCENECAP_FETCH_MAX_BYTES,
    fetchTimeoutMs: e.SCENECAP_FETCH_TIMEOUT_MS,
    leaseMs: e.SCENECAP_LEASE_MS,
  };
}
