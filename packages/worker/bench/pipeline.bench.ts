/**
 * Pipeline benchmark. Prints a table:
 *  - ingest of a generated 10-minute 720p video (probe → segments → frames → caption with the tiny BLIP-2 →
 *    documents in SQLite) vs ffmpeg alone decoding the same sampled frames (the overhead ratio);
 *  - frames/s through blip2's preprocessing (720p RGB → pixel_values);
 *  - jobs/s through the BullMQ queue with a no-op handler (needs Redis at REDIS_URL).
 * The video is cached under `.bench/` at the repository root.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { preprocessImages } from "@scenecap/blip2";
import { extractFrames, planSegments, probeMedia } from "@scenecap/media";
import { JobName, QueueName } from "@scenecap/protocol";
import { createBlobStore, createStore } from "@scenecap/store";
import { CaptionerPool, createBullWorker, processObject, type JobContext } from "../src/index.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const modelDir = fileURLToPath(new URL("../../blip2/test/fixtures/blip2-tiny", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const rows: [string, string][] = [];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function video(): Promise<string> {
  const dir = join(repoRoot, ".bench");
  await mkdir(dir, { recursive: true });
  const out = join(dir, "pattern-600s-720p.mp4");
  if (await stat(out).then((s) => s.size > 0, () => false)) return out;
  console.error("generating a 10-minute 720p test video (once, cached in .bench/)…");
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=24:d=600",
    "-c:v", "libx264", "-preset", "ultrafast", "-g", "48", "-pix_fmt", "yuv420p", out]);
  return out;
}

async function ingest(path: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "scenecap-bench-"));
  const store = await createStore(`sqlite:${join(dir, "bench.db")}`);
  const blobs = createBlobStore(join(dir, "blobs"));
  const pool = new CaptionerPool({ batchSize: 8, batchWaitMs: 20, loadOptions: { cacheDir: join(dir, "onnx") } });
  try {
    await pool.warm(modelDir); // model load/build is excluded: it happens once per process
    await blobs.put("uploads/bench.mp4", (await import("node:fs")).createReadStream(path));
    const ns = "ns_bench";
    const now = new Date().toISOString();
    const rec = (id: string, data: Record<string, unknown>) => ({ id, namespace_id: ns, created_at: now, updated_at: now, data });
    await store.resources.create("collection", rec("col_bench", { feature_extractor: { feature_extractor_name: "scene_description" } }));
    await store.resources.create("object", rec("obj_bench", { bucket_id: "bkt_bench", metadata: {}, blobs: [{ type: "video", data: "blob://uploads/bench.mp4" }] }));
    await store.resources.create("batch", rec("btch_bench", { status: "IN_PROGRESS" }));
    await store.resources.create("task", rec("task_bench", { status: "PENDING", additional_data: { jobs_total: 1, jobs: {} } }));
    const payload = {
      namespace_id: ns, task_id: "task_bench", batch_id: "btch_bench", bucket_id: "bkt_bench", object_id: "obj_bench", collection_id: "col_bench",
      extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { model_id: modelDir, time_split_interval: 10, max_new_tokens: 20 } },
    };
    const ctx: JobContext = { store, blobs, captioners: pool, config: { modelsDir: dir, tempDir: dir, ...(process.env.BENCH_FRAMES_PER_STEP ? { framesPerStep: Number(process.env.BENCH_FRAMES_PER_STEP) } : {}) }, attempt: 1, maxAttempts: 1, jobId: "bench" };
    const t0 = process.hrtime.bigint();
    const result = await processObject(payload, ctx);
    const ingestMs = ms(t0);

    const stored = await blobs.path("uploads/bench.mp4");
    const probe = await probeMedia(stored);
    const segments = await planSegments(stored, probe, { splitMethod: "time", timeSplitInterval: 10, framesPerSegment: 1 });
    const times = segments.flatMap((s) => s.frameTimes);
    const t1 = process.hrtime.bigint();
    const frames = await extractFrames(stored, times, { maxWidth: 640, probe });
    const ffmpegMs = ms(t1);

    rows.push(["video", `${probe.durationSec?.toFixed(0)} s ${probe.width}x${probe.height} ${probe.fps} fps`]);
    rows.push(["segments / documents", `${segments.length} / ${result.documents_written}`]);
    rows.push(["ingest wall time (probe→docs)", `${(ingestMs / 1000).toFixed(2)} s`]);
    rows.push(["ffmpeg alone, same frames", `${(ffmpegMs / 1000).toFixed(2)} s (${frames.length} frames)`]);
    rows.push(["overhead ratio (ingest / ffmpeg)", (ingestMs / ffmpegMs).toFixed(2)]);
    rows.push(["ingest throughput", `${(segments.length / (ingestMs / 1000)).toFixed(1)} segments/s`]);
  } finally {
    await pool.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function preprocessing(path: string): Promise<void> {
  const frames = await extractFrames(path, Array.from({ length: 32 }, (_, i) => i * 15));
  const images = frames.map((f) => ({ data: f.data, width: f.width, height: f.height, channels: 3 as const }));
  await preprocessImages(images.slice(0, 2)); // warm-up
  const t0 = process.hrtime.bigint();
  const rounds = 2;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < images.length; i += 8) await preprocessImages(images.slice(i, i + 8));
  const s = ms(t0) / 1000;
  rows.push([`preprocessing (${frames[0]!.width}x${frames[0]!.height} → 224², batches of 8)`, `${((rounds * images.length) / s).toFixed(1)} frames/s`]);
}

async function queueThroughput(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch (err) {
    rows.push(["BullMQ no-op jobs/s", `skipped: Redis not reachable at ${REDIS_URL} (${(err as Error).message})`]);
    return;
  }
  const prefix = `scbench_${process.pid}`;
  const queue = new Queue(QueueName.Extraction, { connection: redis, prefix });
  queue.on("error", () => {});
  const n = 2000;
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const runner = createBullWorker({
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix,
    concurrency: 16,
    autorun: false,
    handlers: [{ name: JobName.ProcessObject, queue: QueueName.Extraction, handler: async () => {
      if (++done === n) finish();
      return null;
    } }],
    // The no-op handler needs none of the pipeline's dependencies.
    store: null as never, blobs: null as never, captioners: null as never, config: { modelsDir: "" },
  });
  try {
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: JobName.ProcessObject, data: { namespace_id: "ns", task_id: "t", batch_id: "b", bucket_id: "k", object_id: `o${i}`, collection_id: "c", extractor: { feature_extractor_name: "scene_description" } }, opts: { removeOnComplete: true } })));
    const t0 = process.hrtime.bigint();
    void runner.workers[0]!.run();
    await all;
    const s = ms(t0) / 1000;
    rows.push([`BullMQ no-op jobs/s (${n} jobs, concurrency 16)`, `${(n / s).toFixed(0)} jobs/s`]);
  } finally {
    await runner.close(true);
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await redis.quit();
  }
}

const path = await video();
await ingest(path);
await preprocessing(path);
await queueThroughput();
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`\nscenecap pipeline bench (node ${process.version}, tiny BLIP-2 on CPU)\n`);
console.log(`| ${"measure".padEnd(w)} | value |`);
console.log(`| ${"-".repeat(w)} | ----- |`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
