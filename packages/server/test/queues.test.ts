import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { UnrecoverableError, Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobName, QueueName, processObjectJobId } from "@scenecap/protocol";
import { createBlobStore, createStore, type CollectionStore } from "@scenecap/store";
import { BullJobQueue, createApiKey, createServer, defineConfig, seedApiKeys } from "@scenecap/server";
import { harness, type Harness } from "./helpers.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ADMIN_KEY = "sk_admin_queue_test_key";

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

function payload(i: number) {
  return {
    namespace_id: "ns_1", task_id: "tsk_1", batch_id: "btc_1", bucket_id: "bkt_1", object_id: `obj_${i}`, collection_id: "col_1",
    extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: {} },
  };
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("queue admin API on BullMQ (real Redis)", () => {
  const prefix = `scenecap-admin-test-${randomBytes(6).toString("hex")}`;
  let queue: BullJobQueue;
  let store: CollectionStore;
  let blobDir: string;
  let app: FastifyInstance;
  let userKey: string;
  const call = (method: "GET" | "POST", url: string, body?: unknown, key: string | null = ADMIN_KEY) =>
    app.inject({
      method, url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    await requireRedis();
    queue = new BullJobQueue({ redisUrl: REDIS_URL, prefix });
    store = await createStore("sqlite::memory:");
    blobDir = await mkdtemp(path.join(tmpdir(), "scenecap-queue-admin-"));
    const config = defineConfig({ blobDir, signingSecret: "queue-admin-secret-0123", adminApiKeys: [ADMIN_KEY] });
    await seedApiKeys(store, config.adminApiKeys);
    userKey = (await createApiKey(store, "user")).secret;
    app = createServer({ store, queue, blobs: createBlobStore(blobDir), config });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await queue?.queue.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    await store?.close();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  it("counts, pause/resume, failed listing and retry-failed reflect the real queue", async () => {
    for (const i of [1, 2, 3]) await queue.enqueue(JobName.ProcessObject, payload(i), processObjectJobId(payload(i)));

    const all = await call("GET", "/v1/queues");
    expect(all.statusCode).toBe(200);
    expect(all.json().results).toEqual([expect.objectContaining({ name: QueueName.Extraction, mode: "bullmq", paused: false })]);
    expect(all.json().results[0].counts).toMatchObject({ waiting: 3, active: 0, failed: 0, completed: 0 });

    const paused = await call("POST", `/v1/queues/${QueueName.Extraction}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json().paused).toBe(true);
    expect(await queue.queue.isPaused()).toBe(true);
    expect((await call("GET", `/v1/queues/${QueueName.Extraction}`)).json()).toMatchObject({ paused: true, counts: { waiting: 3 } });
    const resumed = await call("POST", `/v1/queues/${QueueName.Extraction}/resume`);
    expect(resumed.json().paused).toBe(false);
    expect(await queue.queue.isPaused()).toBe(false);

    // A worker that fails every job for good (no retries left to wait for).
    const workerRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(QueueName.Extraction, async (job) => {
      throw new UnrecoverableError(`cannot process ${job.data.object_id}`);
    }, { connection: workerRedis, prefix, autorun: true });
    worker.on("error", () => {});
    try {
      await waitFor(async () => (await queue.queue.getJobCounts("failed")).failed === 3, 15_000, "three failed jobs");
    } finally {
      await worker.close();
      await workerRedis.quit();
    }

    const status = (await call("GET", `/v1/queues/${QueueName.Extraction}`)).json();
    expect(status.counts).toMatchObject({ waiting: 0, active: 0, failed: 3 });
    const failed = await call("GET", `/v1/queues/${QueueName.Extraction}/jobs?state=failed&limit=2`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ queue: QueueName.Extraction, state: "failed", limit: 2, offset: 0 });
    expect(failed.json().results).toHaveLength(2);
    for (const j of failed.json().results) {
      expect(j).toMatchObject({ name: JobName.ProcessObject, attempts_made: 1, failed_reason: expect.stringMatching(/^cannot process obj_\d$/) });
      expect(j.finished_on).toBeGreaterThanOrEqual(j.timestamp);
    }
    const page2 = (await call("GET", `/v1/queues/${QueueName.Extraction}/jobs?state=failed&limit=2&offset=2`)).json();
    expect(page2.results).toHaveLength(1);
    const ids = new Set([...failed.json().results, ...page2.results].map((j: { id: string }) => j.id));
    expect(ids).toEqual(new Set([1, 2, 3].map((i) => processObjectJobId(payload(i)))));

    const one = await call("POST", `/v1/queues/${QueueName.Extraction}/retry-failed`, { count: 1 });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ retried: 1 });
    expect((await call("GET", `/v1/queues/${QueueName.Extraction}`)).json().counts).toMatchObject({ waiting: 1, failed: 2 });
    // no body: every failed job
    const rest = await call("POST", `/v1/queues/${QueueName.Extraction}/retry-failed`);
    expect(rest.json()).toEqual({ retried: 2 });
    expect((await call("GET", `/v1/queues/${QueueName.Extraction}`)).json().counts).toMatchObject({ waiting: 3, failed: 0 });
    expect(await queue.queue.getJobState(processObjectJobId(payload(2)))).toBe("waiting");
    expect((await call("POST", `/v1/queues/${QueueName.Extraction}/retry-failed`, {})).json()).toEqual({ retried: 0 });
  });

  it("answers 403 to a normal key, 401 without a key, 404 for an unknown queue, 422 for bad input", async () => {
    for (const [method, url] of [["GET", "/v1/queues"], ["GET", "/v1/queues/extraction"], ["POST", "/v1/queues/extraction/pause"], ["POST", "/v1/queues/extraction/retry-failed"]] as const) {
      const forbidden = await call(method, url, undefined, userKey);
      expect(forbidden.statusCode, `${method} ${url}`).toBe(403);
      expect(forbidden.json()).toMatchObject({ success: false, status: 403, error: { type: "ForbiddenError", message: expect.stringMatching(/admin/) } });
      const anonymous = await call(method, url, undefined, null);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.type).toBe("UnauthorizedError");
    }
    expect(await queue.queue.isPaused()).toBe(false);
    // the admin key is also a normal key
    expect((await call("POST", "/v1/buckets/list", {})).statusCode).toBe(200);

    const unknown = await call("GET", "/v1/queues/nope");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ success: false, error: { type: "NotFoundError", message: expect.stringMatching(/nope.*extraction/) } });
    expect((await call("POST", "/v1/queues/nope/pause")).statusCode).toBe(404);
    expect((await call("GET", "/v1/queues/extraction/jobs?state=bogus")).json()).toMatchObject({ status: 422, error: { type: "ValidationError" } });
    expect((await call("POST", "/v1/queues/extraction/retry-failed", { count: 0 })).statusCode).toBe(422);
  });
});

describe("queue admin API in embedded mode (store queue)", () => {
  let h: Harness;
  const call = (method: "GET" | "POST", url: string, body?: unknown) => h.call(method, url, body, { authorization: `Bearer ${ADMIN_KEY}` });
  beforeAll(async () => {
    h = await harness({ adminApiKeys: [ADMIN_KEY] });
    await seedApiKeys(h.store, [ADMIN_KEY]);
  });
  afterAll(async () => { await h.close(); });

  it("reports the store queue's counts and refuses what only BullMQ can do with a 400", async () => {
    await h.queue.enqueue(JobName.ProcessObject, payload(1), "local-1");
    await h.queue.enqueue(JobName.ProcessObject, payload(2), "local-2");
    const claimed = await h.store.jobs.claim(60_000);
    await h.store.jobs.fail(claimed!.id, "boom", null);

    const status = await call("GET", "/v1/queues/extraction");
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      name: QueueName.Extraction, mode: "local", paused: false,
      counts: { waiting: 1, active: 0, completed: 0, failed: 1, delayed: 0, prioritized: 0, "waiting-children": 0 },
    });
    expect((await call("GET", "/v1/queues")).json().results).toEqual([status.json()]);

    for (const [method, url] of [
      ["POST", "/v1/queues/extraction/pause"], ["POST", "/v1/queues/extraction/resume"],
      ["POST", "/v1/queues/extraction/retry-failed"], ["GET", "/v1/queues/extraction/jobs?state=failed"],
    ] as const) {
      const res = await call(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.json()).toMatchObject({ success: false, status: 400, error: { type: "BadRequestError", message: expect.stringMatching(/BullMQ fleet mode/) } });
    }
    const normal = await h.call("GET", "/v1/queues/extraction");
    expect(normal.statusCode).toBe(403);
  });

  it("documents the routes, with a 403 answer, in /openapi.json", async () => {
    const doc = (await h.app.inject({ method: "GET", url: "/openapi.json" })).json();
    for (const p of ["/v1/queues", "/v1/queues/{queue}", "/v1/queues/{queue}/jobs", "/v1/queues/{queue}/pause", "/v1/queues/{queue}/resume", "/v1/queues/{queue}/retry-failed"]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths["/v1/queues/{queue}/retry-failed"].post.responses["403"]).toBeTruthy();
    expect(doc.paths["/v1/queues/{queue}/jobs"].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["queue", "state", "limit", "offset"]));
    expect(doc.paths["/v1/buckets"].post.responses["403"]).toBeUndefined();
  });
});
