import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mixpeek } from "mixpeek";
import { defineConfig, startServer, type RunningServer } from "@scenecap/server";
import { loadWorkerConfig, startWorker, type RunningWorker } from "@scenecap/worker";
import { cutClip, DATABASE_URL, REDIS_URL, serveDir, tempDir, TINY_MODEL_DIR, uniq } from "./support.js";

type Doc = { document_id: string; start_time: number; end_time: number; description: string; thumbnail_url: string };

describe("fleet mode: server + two workers over Redis (BullMQ) and PostgreSQL", () => {
  const schema = uniq("fleet");
  const prefix = uniq("bullfleet");
  const storeUrl = `${DATABASE_URL}${DATABASE_URL.includes("?") ? "&" : "?"}schema=${schema}`;
  let files: Awaited<ReturnType<typeof serveDir>>;
  let server: RunningServer;
  const workers: RunningWorker[] = [];
  let mx: Mixpeek;

  beforeAll(async () => {
    const dir = await tempDir("fleet");
    await cutClip(dir);
    files = await serveDir(dir);
    const blobDir = join(dir, "blobs");
    server = await startServer(
      defineConfig({
        port: 0,
        host: "127.0.0.1",
        storeUrl,
        queue: { kind: "bullmq", redisUrl: REDIS_URL, prefix },
        apiKeys: ["sk_fleet_test_key"],
        blobDir,
        signingSecret: "fleet-test-signing-secret",
        logLevel: "silent",
      }),
      { handleSignals: false },
    );
    const workerConfig = loadWorkerConfig({
      REDIS_URL, STORE_URL: storeUrl, SCENECAP_QUEUE_PREFIX: prefix, SCENECAP_BLOB_DIR: blobDir, ALLOW_PRIVATE_NETWORKS: "true", DEVICE: "cpu",
    });
    for (let i = 0; i < 2; i++) workers.push(await startWorker(workerConfig, { handleSignals: false, log: () => {} }));
    mx = new Mixpeek({ apiKey: "sk_fleet_test_key", baseUrl: server.url, maxRetries: 0 });
  });

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await server?.close();
    await files?.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("runs the seed ingest call to searchable scene documents", async () => {
    const ingest = await mx.collections.ingest({
      collection_id: "fleet-videos",
      source: { url: files.url("cuts.mp4") },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: TINY_MODEL_DIR, split_method: "scene" } }],
    });
    const task = await mx.tasks.wait(ingest.task_id, { timeout: 180_000, pollInterval: 200, maxPollInterval: 1000 });
    expect(task.status, JSON.stringify(task)).toBe("COMPLETED");
    const docs = ((await mx.collections.documents.list(ingest.collection_id)).data as unknown as Doc[]).sort((a, b) => a.start_time - b.start_time);
    expect(docs.map((d) => [d.start_time, d.end_time].map((t) => Math.round(t * 10) / 10))).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect((await fetch(docs[1]!.thumbnail_url)).status).toBe(200);

    const word = docs.map((d) => d.description.match(/[a-z]{3,}/i)?.[0]).find(Boolean)!;
    const found = await mx.retrievers.executeAdhoc({
      collection_identifiers: [ingest.collection_id],
      input_schema: { q: { type: "text" } },
      inputs: { q: word },
      stages: [{ stage_name: "search", config: { stage_id: "feature_search", parameters: {
        searches: [{ feature_uri: "mixpeek://scene_description@v1/salesforce_blip2_v1", query: { input_mode: "text", value: "{{INPUT.q}}" } }] } } }],
    });
    expect(found.documents.length).toBeGreaterThan(0);
    for (const d of found.documents) expect(String(d.description).toLowerCase()).toContain(word.toLowerCase());
  });

  it("ends a batch with one good and one missing video in COMPLETED_WITH_ERRORS, naming the failure", async () => {
    const first = await mx.collections.ingest({
      collection_id: "fleet-mixed",
      source: { url: files.url("cuts.mp4") },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: TINY_MODEL_DIR } }],
    });
    await mx.tasks.wait(first.task_id, { timeout: 180_000, pollInterval: 200, maxPollInterval: 1000 });
    const good = await mx.buckets.objects.create(first.bucket_id, { blobs: [{ property: "video", type: "video", data: files.url("cuts.mp4") }] });
    const missing = await mx.buckets.objects.create(first.bucket_id, { blobs: [{ property: "video", type: "video", data: files.url("nope.mp4") }] });
    const batch = await mx.buckets.batches.create(first.bucket_id, { object_ids: [good.object_id, missing.object_id] });
    const submitted = await mx.buckets.batches.submit(first.bucket_id, batch.batch_id);
    const task = await mx.tasks.wait(submitted.task_id, { timeout: 180_000, pollInterval: 200, maxPollInterval: 1000 });
    expect(task.status).toBe("COMPLETED_WITH_ERRORS");
    expect(String(task.error)).toMatch(/404/);
  });
});
