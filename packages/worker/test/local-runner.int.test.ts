import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultJobOptions, JobName, processObjectJobId } from "@scenecap/protocol";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { CaptionerPool } from "../src/inference/captioner-pool.js";
import { createLocalRunner, type LocalRunner } from "../src/runners/local.js";
import { corruptFile, sceneClip } from "./helpers/clips.js";
import { tempDir, TINY_MODEL_DIR, uniq } from "./helpers/env.js";
import { seed } from "./helpers/records.js";
import { openBlobs, openSqlite } from "./helpers/stores.js";

/** Embedded mode: the store's durable queue, SQLite, real ffmpeg and the tiny BLIP-2 checkpoint. */
describe("createLocalRunner", () => {
  let dir: string;
  let store: CollectionStore;
  let blobs: BlobStore;
  let pool: CaptionerPool;
  const ns = uniq("ns");
  const files: Record<string, string> = {};
  const runners: LocalRunner[] = [];

  beforeAll(async () => {
    dir = await tempDir("local");
    files.scenes = await sceneClip(dir);
    files.corrupt = await corruptFile(dir);
    store = await openSqlite(join(dir, "store.db"));
    blobs = openBlobs(join(dir, "blobs"));
    pool = new CaptionerPool({ loadOptions: { cacheDir: join(dir, "onnx-cache") } });
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
    await pool?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = () => {
    const r = createLocalRunner({ store, blobs, captioners: pool, config: { modelsDir: join(dir, "models"), allowPrivateNetworks: true }, pollMs: 50, leaseMs: 1_000, backoffMs: 100 });
    runners.push(r);
    return r;
  };
  const upload = async (file: string) => {
    const key = `uploads/${uniq("o")}/${file.split("/").pop()}`;
    await blobs.put(key, await readFile(file));
    return `blob://${key}`;
  };
  async function until(fn: () => Promise<boolean>, ms: number, what: string) {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const taskStatus = async (id: string) => (await store.resources.get("task", ns, id))!.data.status;

  it("resumes a job whose worker died (lease expiry) and writes each document once", async () => {
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR, time_split_interval: 2, max_new_tokens: 5 }, sources: [{ objectId: uniq("obj"), url: await upload(files.scenes!) }] });
    const p = s.payloads[0]!;
    await store.jobs.enqueue({ id: processObjectJobId(p), name: JobName.ProcessObject, payload: p, max_attempts: defaultJobOptions.attempts });
    // A process claims the job and dies without finishing it: its lease is never renewed.
    const crashed = await store.jobs.claim(300);
    expect(crashed?.id).toBe(processObjectJobId(p));
    expect(await store.jobs.claim(300)).toBeNull();

    const runner = start(); // the restarted process
    await until(async () => (await taskStatus(s.taskId)) === "COMPLETED", 60_000, "the resumed job");
    expect(await store.documents.count(ns, s.collectionId)).toBe(3);
    expect((await store.jobs.counts()).completed).toBeGreaterThanOrEqual(1);
    expect(runner.processed).toBeGreaterThanOrEqual(1);

    // Enqueueing the same id again is a no-op; running the job again would rewrite the same documents.
    await store.jobs.enqueue({ id: processObjectJobId(p), name: JobName.ProcessObject, payload: p, max_attempts: 3 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.documents.count(ns, s.collectionId)).toBe(3);
  });

  it("records FAILED on the task when the process died on the job's last attempt", async () => {
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR }, sources: [{ objectId: uniq("obj"), url: await upload(files.scenes!) }] });
    const p = s.payloads[0]!;
    await Promise.all(runners.splice(0).map((r) => r.close())); // no running runner may take the job first
    await store.jobs.enqueue({ id: processObjectJobId(p), name: JobName.ProcessObject, payload: p, max_attempts: 1 });
    // The only attempt is claimed by a process that dies: nobody may run the job again.
    expect((await store.jobs.claim(200))?.id).toBe(processObjectJobId(p));
    start();
    await until(async () => (await taskStatus(s.taskId)) === "FAILED", 10_000, "the abandoned job to be recorded");
    const task = (await store.resources.get("task", ns, s.taskId))!;
    expect(task.data.error).toMatch(/lease expired on the last attempt/);
    expect((await store.resources.get("object", ns, p.object_id))!.data.status).toBe("FAILED");
    expect(await store.documents.count(ns, s.collectionId)).toBe(0);
  });

  it("fails bad media once, without retries, and records FAILED", async () => {
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR }, sources: [{ objectId: uniq("obj"), url: await upload(files.corrupt!) }] });
    const p = s.payloads[0]!;
    await store.jobs.enqueue({ id: processObjectJobId(p), name: JobName.ProcessObject, payload: p, max_attempts: 3 });
    if (runners.length === 0) start();
    await until(async () => (await taskStatus(s.taskId)) === "FAILED", 60_000, "the failure");
    await until(async () => (await store.jobs.counts()).failed >= 1, 10_000, "the job to be failed");
  });

  it("a payload that does not match the catalogue fails permanently", async () => {
    await store.jobs.enqueue({ id: uniq("bad"), name: JobName.ProcessObject, payload: { nope: true }, max_attempts: 3 });
    if (runners.length === 0) start();
    await until(async () => (await store.jobs.counts()).failed >= 2, 10_000, "the bad payload to fail");
  });
});
