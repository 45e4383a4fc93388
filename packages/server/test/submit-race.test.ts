import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JobName, ProcessObjectPayload } from "@scenecap/protocol";
import { createBlobStore, createStore, type CollectionStore } from "@scenecap/store";
import { createApiKey, createServer, defineConfig, LocalJobQueue, type JobQueue } from "@scenecap/server";

/**
 * A queue whose jobs finish before `enqueue` returns, as a BullMQ worker can for a job that fails at once
 * (a blocked URL): it writes the object's and batch's terminal state like the worker's state recorder.
 */
class InstantFailQueue extends LocalJobQueue {
  enqueued = 0;
  override async enqueue(name: JobName, payload: unknown): Promise<void> {
    expect(name).toBe(JobName.ProcessObject);
    const p = ProcessObjectPayload.parse(payload);
    this.enqueued++;
    await this.store.resources.update("object", p.namespace_id, p.object_id, (cur) => ({
      data: { ...cur.data, status: "FAILED", error: "blocked URL" },
    }));
    await this.store.resources.update("batch", p.namespace_id, p.batch_id, (cur) => ({
      data: { ...cur.data, status: "FAILED", error: "blocked URL" },
    }));
  }
}

/** A queue that accepts `okJobs` jobs, then fails like an unreachable Redis. */
class BrokenQueue extends LocalJobQueue {
  constructor(store: CollectionStore, private okJobs = 0) {
    super(store);
  }
  override async enqueue(): Promise<void> {
    if (this.okJobs-- > 0) return;
    throw new Error("connection refused");
  }
}

async function setup(makeQueue: (store: CollectionStore) => JobQueue) {
  const store = await createStore("sqlite::memory:");
  const blobDir = await mkdtemp(path.join(tmpdir(), "scenecap-submit-"));
  const app = createServer({ store, queue: makeQueue(store), blobs: createBlobStore(blobDir), config: defineConfig({ blobDir }) });
  const { secret } = await createApiKey(store, "race");
  const call = (method: "POST" | "GET", url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${secret}` }, ...(payload ? { payload } : {}) });
  const bucket = (await call("POST", "/v1/buckets", { bucket_name: "v", bucket_schema: { properties: { video: { type: "video" } } } })).json();
  const collection = (await call("POST", "/v1/collections", {
    collection_name: "c", source: { type: "bucket", bucket_ids: [bucket.bucket_id] }, feature_extractor: { feature_extractor_name: "scene_description" },
  })).json();
  const addObject = async (query = "") =>
    (await call("POST", `/v1/buckets/${bucket.bucket_id}/objects${query}`, { blobs: [{ property: "video", type: "video", data: "http://127.0.0.1/v.mp4" }] })).json();
  const object = (id: string) => call("GET", `/v1/buckets/${bucket.bucket_id}/objects/${id}`).then((r) => r.json());
  const batch = (id: string) => call("GET", `/v1/buckets/${bucket.bucket_id}/batches/${id}`).then((r) => r.json());
  const close = async () => {
    await app.close();
    await store.close();
    await rm(blobDir, { recursive: true, force: true });
  };
  return { store, call, bucket, collection, addObject, object, batch, close };
}

describe("submit never overwrites a state a fast job already wrote", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => { await cleanup?.(); cleanup = undefined; });

  it("batch submit: the object keeps the job's terminal status", async () => {
    const s = await setup((store) => new InstantFailQueue(store));
    cleanup = s.close;
    const obj = await s.addObject();
    const batch = (await s.call("POST", `/v1/buckets/${s.bucket.bucket_id}/batches`, { object_ids: [obj.object_id] })).json();
    const res = await s.call("POST", `/v1/buckets/${s.bucket.bucket_id}/batches/${batch.batch_id}/submit`);
    expect(res.statusCode).toBe(200);
    const after = await s.object(obj.object_id);
    expect(after.status).toBe("FAILED");
    expect(after.error).toBe("blocked URL");
    expect((await s.batch(batch.batch_id)).status).toBe("FAILED");
  });

  it("upload with auto_process: the returned and stored object keep the job's terminal status", async () => {
    const s = await setup((store) => new InstantFailQueue(store));
    cleanup = s.close;
    const obj = await s.addObject("?auto_process=true");
    expect(obj.status).toBe("FAILED");
    expect((await s.object(obj.object_id)).status).toBe("FAILED");
  });

  it("collection trigger: neither object nor batch is moved back to PENDING / IN_PROGRESS", async () => {
    const s = await setup((store) => new InstantFailQueue(store));
    cleanup = s.close;
    const obj = await s.addObject();
    const res = await s.call("POST", `/v1/collections/${s.collection.collection_id}/trigger`, {});
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect((await s.object(obj.object_id)).status).toBe("FAILED");
    expect((await s.batch(body.batch_id)).status).toBe("FAILED");
  });
});

describe("an enqueue failure leaves task, batch and objects consistent", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => { await cleanup?.(); cleanup = undefined; });

  it("batch submit: 503; task and batch FAILED; objects whose job never queued are FAILED, not PENDING", async () => {
    const s = await setup((store) => new BrokenQueue(store, 1));
    cleanup = s.close;
    const a = await s.addObject();
    const b = await s.addObject();
    const batch = (await s.call("POST", `/v1/buckets/${s.bucket.bucket_id}/batches`, { object_ids: [a.object_id, b.object_id] })).json();
    const res = await s.call("POST", `/v1/buckets/${s.bucket.bucket_id}/batches/${batch.batch_id}/submit`);
    expect(res.statusCode).toBe(503);
    const after = await s.batch(batch.batch_id);
    expect(after.status).toBe("FAILED");
    const task = (await s.call("GET", `/v1/tasks/${after.task_id}`)).json();
    expect(task.status).toBe("FAILED");
    expect(task.error).toMatch(/could not enqueue/);
    // a's job was queued (a worker will report it); b's never was
    const objA = await s.object(a.object_id);
    expect(objA).toMatchObject({ status: "PENDING", task_id: after.task_id });
    const objB = await s.object(b.object_id);
    expect(objB).toMatchObject({ status: "FAILED", task_id: after.task_id });
    expect(objB.error).toMatch(/could not enqueue/);
  });

  it("collection trigger: 503; the batch records the failure", async () => {
    const s = await setup((store) => new BrokenQueue(store, 0));
    cleanup = s.close;
    const obj = await s.addObject();
    const res = await s.call("POST", `/v1/collections/${s.collection.collection_id}/trigger`, {});
    expect(res.statusCode).toBe(503);
    const batches = (await s.call("POST", `/v1/buckets/${s.bucket.bucket_id}/batches/list`, {})).json();
    expect(batches.results).toHaveLength(1);
    expect(batches.results[0].status).toBe("FAILED");
    expect((await s.object(obj.object_id)).status).toBe("FAILED");
  });
});
