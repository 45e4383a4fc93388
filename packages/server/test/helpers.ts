import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { createBlobStore, createStore, PostgresStore, type BlobStore, type CollectionStore } from "@scenecap/store";
import { createApiKey, createServer, defineConfig, LocalJobQueue, type JobQueue, type ServerConfig } from "@scenecap/server";

export interface Harness {
  app: FastifyInstance;
  store: CollectionStore;
  queue: JobQueue;
  key: string;
  blobDir: string;
  blobs: BlobStore;
  config: ServerConfig;
  /** inject with the test key (and optional namespace) */
  call(method: InjectOptions["method"], url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A store backend the suites run against. */
export interface Backend {
  name: string;
  open(): Promise<CollectionStore>;
}

export const sqliteBackend: Backend = { name: "sqlite", open: () => createStore("sqlite::memory:") };

/** PostgreSQL in a fresh schema per harness (dropped on close). */
export const postgresBackend: Backend = {
  name: "postgres",
  async open() {
    const u = new URL(DATABASE_URL);
    u.searchParams.set("schema", `server_test_${process.pid}_${Math.random().toString(36).slice(2, 9)}`);
    try {
      return await createStore(u.toString());
    } catch (err) {
      throw new Error(
        `PostgreSQL is not reachable at ${DATABASE_URL} (${(err as Error).message}). Start it (e.g. \`docker compose up -d postgres\` ` +
          "or `pg_ctlcluster 15 main start`) or set DATABASE_URL to a server where the user may create schemas.",
      );
    }
  },
};

/** A server on a store (default: in-memory SQLite), the local job queue and a temp blob dir. */
export async function harness(overrides: Partial<ServerConfig> = {}, backend: Backend = sqliteBackend): Promise<Harness> {
  const store = await backend.open();
  const blobDir = await mkdtemp(path.join(tmpdir(), "scenecap-server-"));
  const config = defineConfig({ blobDir, signingSecret: "test-signing-secret-123456", bodyLimit: 2 * 1024 * 1024, ...overrides });
  const queue = new LocalJobQueue(store);
  const blobs = createBlobStore(blobDir);
  const app = createServer({ store, queue, blobs, config });
  await app.ready();
  const { secret } = await createApiKey(store, "test");
  return {
    app, store, queue, key: secret, blobDir, blobs, config,
    call: (method, url, body, headers = {}) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      }),
    async close() {
      await app.close();
      if (store instanceof PostgresStore) await store.pool.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
      await store.close();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

export function json<T = Record<string, any>>(res: LightMyRequestResponse): T {
  return res.json() as T;
}

/** A bucket with a video field + a scene_description collection on it. */
export async function seedBucketAndCollection(h: Harness, headers: Record<string, string> = {}) {
  const bucket = json(await h.call("POST", "/v1/buckets", { bucket_name: "videos", bucket_schema: { properties: { video: { type: "video" }, title: { type: "string" } } } }, headers));
  const collection = json(await h.call("POST", "/v1/collections", {
    collection_name: "scenes",
    source: { type: "bucket", bucket_ids: [bucket.bucket_id] },
    feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { time_split_interval: 5 } },
  }, headers));
  return { bucket, collection };
}
