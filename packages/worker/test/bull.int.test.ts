import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultJobOptions, JobName, processObjectJobId, QueueName } from "@scenecap/protocol";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { CaptionerPool } from "../src/inference/captioner-pool.js";
import { createBullWorker, type BullRunner } from "../src/runners/bull.js";
import { corruptFile, patternClip, sceneClip } from "./helpers/clips.js";
import { REDIS_URL, tempDir, TINY_MODEL_DIR, uniq } from "./helpers/env.js";
import { seed } from "./helpers/records.js";
import { dropPgSchema, openBlobs, openPostgres, pgUrlWithSchema } from "./helpers/stores.js";

async function connectRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${(err as Error).message}); start it with \`redis-server\` or set REDIS_URL`);
  }
  return redis;
}

/** BullMQ runner against a real Redis (own key prefix) and a PostgreSQL store (own schema). */
describe("createBullWorker (Redis + PostgreSQL + tiny BLIP-2)", () => {
  let dir: string;
  let redis: Redis;
  let store: CollectionStore;
  let blobs: BlobStore;
  let pool: CaptionerPool;
  let queue: Queue;
  let events: QueueEvents;
  const prefix = uniq("sctest");
  const schema = uniq("worker_bull").toLowerCase();
  const ns = uniq("ns");
  const runners: BullRunner[] = [];
  const children: ChildProcess[] = [];
  const files: Record<string, string> = {};
  let cacheDir: string;

  const pipeline = () => ({ modelsDir: join(dir, "models"), allowPrivateNetworks: true, tempDir: dir });
  const startRunner = (over: Partial<Parameters<typeof createBullWorker>[0]> = {}) => {
    const r = createBullWorker({ connection: redis, prefix, store, blobs, captioners: pool, config: pipeline(), lockDuration: 2_000, stalledInterval: 1_000, ...over });
    runners.push(r);
    return r;
  };
  const enqueue = async (payload: Parameters<typeof processObjectJobId>[0] & Record<string, unknown>, opts: Record<string, unknown> = {}) =>
    queue.add(JobName.ProcessObject, payload, { ...structuredClone(defaultJobOptions), jobId: processObjectJobId(payload), ...opts } as never);
  const task = async (id: string) => (await store.resources.get("task", ns, id))!.data as Record<string, any>;
  async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    redis = await connectRedis();
    dir = await tempDir("bull");
    cacheDir = join(dir, "onnx-cache");
    files.scenes = await sceneClip(dir);
    files.long = await patternClip(dir, 30);
    files.corrupt = await corruptFile(dir);
    store = await openPostgres(schema);
    blobs = await openBlobs(join(dir, "blobs"));
    pool = new CaptionerPool({ loadOptions: { cacheDir } });
    queue = new Queue(QueueName.Extraction, { connection: redis, prefix });
    queue.on("error", () => {});
    events = new QueueEvents(QueueName.Extraction, { connection: { url: REDIS_URL }, prefix });
    events.on("error", () => {});
    await events.waitUntilReady();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await Promise.all(runners.map((r) => r.close(true)));
    await pool?.close();
    if (queue) {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
    await events?.close();
    await store?.close();
    if (store) await dropPgSchema(schema);
    await redis?.quit();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const upload = async (file: string) => {
    const key = `uploads/${uniq("o")}/${file.split("/").pop()}`;
    await blobs.put(key, await readFile(file));
    return `blob://${key}`;
  };

  it("runs a job, reports progress through the job and the task", async () => {
    if (runners.length === 0) startRunner();
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR, time_split_interval: 2, max_new_tokens: 6 }, sources: [{ objectId: uniq("obj"), url: await upload(files.scenes!) }] });
    const progress: unknown[] = [];
    events.on("progress", ({ data }) => progress.push(data));
    const job = await enqueue(s.payloads[0]!);
    const result = await job.waitUntilFinished(events, 60_000);
    expect(result).toMatchObject({ status: "COMPLETED", documents_written: 3 });
    expect(progress).toContainEqual({ segments_done: 3, segments_total: 3 });
    expect((await task(s.taskId)).status).toBe("COMPLETED");
    expect(await store.documents.count(ns, s.collectionId)).toBe(3);
  });

  it("bad media fails at once (no retry) and records FAILED; a retried job runs again", async () => {
    if (runners.length === 0) startRunner();
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR }, sources: [{ objectId: uniq("obj"), url: await upload(files.corrupt!) }] });
    const job = await enqueue(s.payloads[0]!);
    await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow();
    const failed = await queue.getJob(job.id!);
    expect(failed!.attemptsMade).toBe(1);
    expect((await task(s.taskId)).status).toBe("FAILED");
    expect((await queue.getJobCounts("failed")).failed).toBeGreaterThanOrEqual(1);
    const listed = await queue.getJobs(["failed"]);
    const mine = listed.find((j) => j.id === job.id);
    expect(mine?.failedReason).toBe((await task(s.taskId)).error);
    // What the server's queue admin (retry-failed) does per job: the worker picks it up again and it fails again.
    await failed!.retry("failed");
    await waitFor(async () => (await queue.getJob(job.id!))?.attemptsMade === 2 && (await queue.getJob(job.id!))?.isFailed(), 30_000, "the retried job to fail again");
  });

  it("transient errors retry with backoff; the last attempt records FAILED", async () => {
    if (runners.length === 0) startRunner();
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR }, sources: [{ objectId: uniq("obj"), url: "http://127.0.0.1:9/refused.mp4" }] });
    const job = await enqueue(s.payloads[0]!, { attempts: 2, backoff: { type: "fixed", delay: 200 } });
    await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow(/refused\.mp4/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(2);
    const t = await task(s.taskId);
    expect(t.status).toBe("FAILED");
    expect(t.error).toMatch(/refused\.mp4 failed/);
  });

  it("a paused queue holds jobs back until it is resumed", async () => {
    if (runners.length === 0) startRunner();
    await queue.pause();
    try {
      const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR }, sources: [{ objectId: uniq("obj"), url: await upload(files.corrupt!) }] });
      const job = await enqueue(s.payloads[0]!);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await queue.getJobState(job.id!)).toBe("waiting");
      await queue.resume();
      await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow();
      expect(await queue.getJobState(job.id!)).toBe("failed");
    } finally {
      await queue.resume();
    }
  });

  async function spawnChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fileURLToPath(new URL("./fixtures/bull-child.ts", import.meta.url))], {
      env: {
        ...process.env,
        STORE_URL: pgUrlWithSchema(schema),
        BLOB_DIR: join(dir, "blobs"),
        ONNX_CACHE_DIR: cacheDir,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        MODELS_DIR: join(dir, "models"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
      child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    return child;
  }

  it("a worker process SIGKILLed mid-job: another worker completes it without duplicate documents", async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR, time_split_interval: 0.5, max_new_tokens: 4 }, sources: [{ objectId: uniq("obj"), url: await upload(files.long!) }] });
    const child = await spawnChild();
    await enqueue(s.payloads[0]!);
    const key = `${s.collectionId}:${s.payloads[0]!.object_id}`;
    await waitFor(async () => ((await task(s.taskId)).additional_data.jobs[key]?.segments_done ?? 0) >= 3, 60_000, "the child to caption a few segments");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const before = await task(s.taskId);
    expect(before.status).toBe("PROCESSING");
    const partial = await store.documents.count(ns, s.collectionId);
    expect(partial).toBeGreaterThan(0);

    startRunner(); // the survivor: picks the job up once its lock expires (stalled check)
    const done = await waitFor(async () => {
      const t = await task(s.taskId);
      return t.status === "COMPLETED" ? t : null;
    }, 120_000, "the surviving worker to complete the job");
    expect(done.additional_data.jobs[key]).toMatchObject({ status: "COMPLETED", documents_written: 60, segments_done: 60, segments_total: 60 });
    const docs = await store.documents.list(ns, s.collectionId, { limit: 1000, offset: 0 });
    expect(docs.total).toBe(60);
    expect(new Set(docs.items.map((d) => d.document_id)).size).toBe(60);
    expect(new Set(docs.items.map((d) => (d.fields._internal as any).segment_index)).size).toBe(60);
  });

  it("a job that stalls more often than allowed fails and records FAILED on the task", async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR, time_split_interval: 0.5, max_new_tokens: 4 }, sources: [{ objectId: uniq("obj"), url: await upload(files.long!) }] });
    const child = await spawnChild();
    await enqueue(s.payloads[0]!);
    const key = `${s.collectionId}:${s.payloads[0]!.object_id}`;
    await waitFor(async () => ((await task(s.taskId)).additional_data.jobs[key]?.segments_done ?? 0) >= 1, 60_000, "the child to start");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    startRunner({ maxStalledCount: 0 });
    const failed = await waitFor(async () => {
      const t = await task(s.taskId);
      return t.status === "FAILED" ? t : null;
    }, 60_000, "the stalled job to be failed");
    expect(failed.error).toMatch(/stalled/);
    expect(failed.additional_data.jobs[key].status).toBe("FAILED");
  });
});
