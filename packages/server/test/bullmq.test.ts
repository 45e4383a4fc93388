import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultJobOptions, JobName, processObjectJobId, QueueName } from "@scenecap/protocol";
import { createBlobStore, createStore, type CollectionStore } from "@scenecap/store";
import { BullJobQueue, createApiKey, createServer, defineConfig } from "@scenecap/server";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

async function requireRedis(): Promise<void> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(err as Error).message}). Start one with ` +
        "`redis-server --daemonize yes` or `docker run -d -p 6379:6379 redis:7`, or set REDIS_URL.",
    );
  } finally {
    probe.disconnect();
  }
}

describe("BullMQ job queue (real Redis)", () => {
  const prefix = `scenecap-test-${randomBytes(6).toString("hex")}`;
  let queue: BullJobQueue;
  let store: CollectionStore;
  let blobDir: string;

  beforeAll(async () => {
    await requireRedis();
    queue = new BullJobQueue({ redisUrl: REDIS_URL, prefix });
    store = await createStore("sqlite::memory:");
    blobDir = await mkdtemp(path.join(tmpdir(), "scenecap-bull-"));
  });
  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    await store?.close();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  it("a submitted batch lands one job per (collection, object) with the catalogue payload, id and options", async () => {
    const app = createServer({ store, queue, blobs: createBlobStore(blobDir), config: defineConfig({ blobDir, signingSecret: "bull-test-secret-0123" }) });
    const { secret } = await createApiKey(store, "bull");
    const call = (method: "POST" | "GET", url: string, payload?: object) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${secret}` }, ...(payload ? { payload } : {}) }).then((r) => r.json());
    try {
      const bucket = await call("POST", "/v1/buckets", { bucket_name: "v", bucket_schema: { properties: { video: { type: "video" } } } });
      const col = await call("POST", "/v1/collections", { collection_name: "c", source: { bucket_id: bucket.bucket_id }, feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { num_beams: 3 } } });
      const obj = await call("POST", `/v1/buckets/${bucket.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: "https://example.com/v.mp4" }] });
      const batch = await call("POST", `/v1/buckets/${bucket.bucket_id}/batches`, { object_ids: [obj.object_id] });
      const task = await call("POST", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}/submit`);
      expect(task.status).toBe("PENDING");

      expect(queue.queue.name).toBe(QueueName.Extraction);
      const jobId = processObjectJobId({ batch_id: batch.batch_id, collection_id: col.collection_id, object_id: obj.object_id });
      const job = await queue.queue.getJob(jobId);
      expect(job, `job ${jobId} in ${prefix}:${QueueName.Extraction}`).toBeTruthy();
      expect(job!.name).toBe(JobName.ProcessObject);
      expect(job!.data).toEqual({
        namespace_id: task.additional_data.namespace_id, task_id: task.task_id, batch_id: batch.batch_id, bucket_id: bucket.bucket_id,
        object_id: obj.object_id, collection_id: col.collection_id,
        extractor: expect.objectContaining({ feature_extractor_name: "scene_description", version: "v1", parameters: expect.objectContaining({ num_beams: 3 }) }),
      });
      expect(job!.opts.attempts).toBe(defaultJobOptions.attempts);
      expect(job!.opts.backoff).toEqual(defaultJobOptions.backoff);
      expect(await queue.queue.getJobCounts("waiting")).toEqual({ waiting: 1 });

      // the same ids again are de-duplicated by BullMQ
      await queue.enqueue(JobName.ProcessObject, job!.data, jobId);
      expect(await queue.queue.getJobCounts("waiting")).toEqual({ waiting: 1 });
    } finally {
      await app.close();
    }
  });

  it("refuses a payload that does not match the catalogue", async () => {
    await expect(queue.enqueue(JobName.ProcessObject, { task_id: 1 }, "bad")).rejects.toThrow();
  });
});

describe("BullMQ queue when Redis is unreachable", () => {
  it("submit answers 503 quickly and the task records the failure", async () => {
    const store = await createStore("sqlite::memory:");
    const blobDir = await mkdtemp(path.join(tmpdir(), "scenecap-bull-down-"));
    const queue = new BullJobQueue({ redisUrl: "redis://127.0.0.1:1", prefix: "down", enqueueTimeoutMs: 500, onError: () => {} });
    const app = createServer({ store, queue, blobs: createBlobStore(blobDir), config: defineConfig({ blobDir }) });
    const { secret } = await createApiKey(store, "down");
    const call = (method: "POST" | "GET", url: string, payload?: object) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${secret}` }, ...(payload ? { payload } : {}) });
    try {
      const bucket = (await call("POST", "/v1/buckets", { bucket_name: "v", bucket_schema: { properties: { video: { type: "video" } } } })).json();
      await call("POST", "/v1/collections", { collection_name: "c", source: { bucket_id: bucket.bucket_id }, feature_extractor: { feature_extractor_name: "scene_description" } });
      const obj = (await call("POST", `/v1/buckets/${bucket.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: "https://example.com/v.mp4" }] })).json();
      const batch = (await call("POST", `/v1/buckets/${bucket.bucket_id}/batches`, { object_ids: [obj.object_id] })).json();
      const started = Date.now();
      const res = await call("POST", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}/submit`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.statusCode).toBe(503);
      expect(res.json().error.message).toMatch(/queue unavailable/i);
      const after = (await call("GET", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}`)).json();
      expect(after.status).toBe("FAILED");
      const task = (await call("GET", `/v1/tasks/${after.task_id}`)).json();
      expect(task.status).toBe("FAILED");
      expect(task.error).toMatch(/could not enqueue/);
    } finally {
      await app.close();
      await queue.close();
      await store.close();
      await rm(blobDir, { recursive: true, force: true });
    }
  });
});
