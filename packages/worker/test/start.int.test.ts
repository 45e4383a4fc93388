import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobName, processObjectJobId } from "@scenecap/protocol";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { loadWorkerConfig } from "../src/config.js";
import { patternClip } from "./helpers/clips.js";
import { tempDir, TINY_MODEL_DIR, uniq } from "./helpers/env.js";
import { seed } from "./helpers/records.js";
import { openBlobs, openSqlite } from "./helpers/stores.js";

describe("loadWorkerConfig", () => {
  it("applies the documented defaults", () => {
    const c = loadWorkerConfig({ SCENECAP_DATA_DIR: "/data" });
    expect(c).toMatchObject({
      queue: { kind: "local" },
      storeUrl: "sqlite:/data/scenecap.db",
      blobDir: "/data/blobs",
      concurrency: 1,
      device: "auto",
      precision: "fp32",
      batchSize: 8,
      batchWaitMs: 20,
      allowPrivateNetworks: false,
    });
    expect(c.modelsDir).toMatch(/\.cache\/scenecap\/models$/);
  });

  it("reads REDIS_URL, DATABASE_URL and the tuning variables", () => {
    const c = loadWorkerConfig({ REDIS_URL: "redis://r:6379", DATABASE_URL: "postgres://p/db", WORKER_CONCURRENCY: "4", DEVICE: "cuda", PRECISION: "fp16", BATCH_SIZE: "16", BATCH_WAIT_MS: "5", ALLOW_PRIVATE_NETWORKS: "true", SCENECAP_MODELS_DIR: "/models" });
    expect(c).toMatchObject({ queue: { kind: "bullmq", redisUrl: "redis://r:6379", prefix: "bull" }, storeUrl: "postgres://p/db", concurrency: 4, device: "cuda", precision: "fp16", batchSize: 16, batchWaitMs: 5, allowPrivateNetworks: true, modelsDir: "/models" });
  });

  it("names every bad variable", () => {
    expect(() => loadWorkerConfig({ WORKER_CONCURRENCY: "0", DEVICE: "tpu", ALLOW_PRIVATE_NETWORKS: "maybe" })).toThrow(/WORKER_CONCURRENCY[\s\S]*DEVICE[\s\S]*ALLOW_PRIVATE_NETWORKS/);
  });
});

describe("startWorker (child process, embedded local queue)", () => {
  let dir: string;
  let store: CollectionStore;
  let blobs: BlobStore;
  const ns = uniq("ns");

  beforeAll(async () => {
    dir = await tempDir("start");
    store = await openSqlite(join(dir, "scenecap.db"));
    blobs = openBlobs(join(dir, "blobs"));
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("SIGTERM stops taking jobs, finishes the active one, and exits 0", async () => {
    const clip = await patternClip(dir, 20);
    await blobs.put("uploads/long.mp4", await readFile(clip));
    const s = await seed(store, { ns, params: { model_id: TINY_MODEL_DIR, time_split_interval: 0.5, max_new_tokens: 4 }, sources: [{ objectId: uniq("obj"), url: "blob://uploads/long.mp4" }, { objectId: uniq("obj"), url: "blob://uploads/long.mp4" }] });
    for (const p of s.payloads) await store.jobs.enqueue({ id: processObjectJobId(p), name: JobName.ProcessObject, payload: p, max_attempts: 3 });

    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fileURLToPath(new URL("./fixtures/start-child.ts", import.meta.url))], {
      env: { ...process.env, REDIS_URL: "", STORE_URL: `sqlite:${join(dir, "scenecap.db")}`, SCENECAP_BLOB_DIR: join(dir, "blobs"), SCENECAP_MODELS_DIR: join(dir, "models"), TEST_LOAD_OPTIONS: JSON.stringify({ cacheDir: join(dir, "onnx") }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const key = (i: number) => `${s.collectionId}:${s.payloads[i]!.object_id}`;
    const end = Date.now() + 60_000;
    for (;;) {
      const t = (await store.resources.get("task", ns, s.taskId))!.data as any;
      if ((t.additional_data.jobs[key(0)]?.segments_done ?? 0) > 0) break;
      if (child.exitCode !== null || Date.now() > end) throw new Error(`worker did not start the job: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("stopped");
    const t = (await store.resources.get("task", ns, s.taskId))!.data as any;
    // The active job was finished; the second was never taken.
    expect(t.additional_data.jobs[key(0)]).toMatchObject({ status: "COMPLETED", documents_written: 40 });
    expect(t.additional_data.jobs[key(1)]).toBeUndefined();
    expect(t.status).toBe("PROCESSING");
    expect((await store.jobs.counts()).waiting).toBe(1);
    expect(err).toMatch(/SIGTERM: finishing active jobs/);
  });
});
