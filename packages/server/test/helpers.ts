import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { createBlobStore, createStore, type BlobStore, type CollectionStore } from "@scenecap/store";
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

/** A server on an in-memory SQLite store, the local job queue and a temp blob dir. */
export async function harness(overrides: Partial<ServerConfig> = {}): Promise<Harness> {
  const store = await createStore("sqlite::memory:");
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
