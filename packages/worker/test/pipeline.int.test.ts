import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCaptioner, type Captioner } from "@scenecap/blip2";
import { extractFrames } from "@scenecap/media";
import type { ProcessObjectPayload } from "@scenecap/protocol";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { CaptionerPool } from "../src/inference/captioner-pool.js";
import type { BatchInfo } from "../src/inference/batcher.js";
import { processObject, type JobContext, type PipelineConfig } from "../src/pipeline/process-object.js";
import { audioOnly, corruptFile, emptyFile, pngImage, sceneClip } from "./helpers/clips.js";
import { tempDir, TINY_MODEL_DIR, uniq } from "./helpers/env.js";
import { startHttpServer } from "./helpers/http-server.js";
import { seed } from "./helpers/records.js";
import { openBlobs, openSqlite } from "./helpers/stores.js";

/**
 * The ProcessObject processor end to end with real parts: ffmpeg on generated clips, the real captioner on
 * the tiny BLIP-2 checkpoint (in its worker thread), a SQLite store and a blob store on disk.
 */
describe("processObject (real ffmpeg, tiny BLIP-2, SQLite)", () => {
  let dir: string;
  let store: CollectionStore;
  let blobs: BlobStore;
  let pool: CaptionerPool;
  let reference: Captioner;
  let srv: Awaited<ReturnType<typeof startHttpServer>>;
  const files: Record<string, string> = {};
  const ns = uniq("ns");
  let cacheDir: string;

  const config = (over: Partial<PipelineConfig> = {}): PipelineConfig => ({
    modelsDir: join(dir, "models"),
    allowPrivateNetworks: true,
    tempDir: dir,
    ...over,
  });
  const ctx = (payload: ProcessObjectPayload, over: Partial<JobContext> = {}, progress?: { done: number; total: number }[]): JobContext => ({
    store,
    blobs,
    captioners: pool,
    config: config(),
    attempt: 1,
    maxAttempts: 3,
    jobId: `${payload.collection_id}:${payload.object_id}`,
    ...(progress ? { progress: (p) => void progress.push({ done: p.segments_done, total: p.segments_total }) } : {}),
    ...over,
  });
  const task = async (taskId: string) => (await store.resources.get("task", ns, taskId))!.data as Record<string, any>;

  beforeAll(async () => {
    dir = await tempDir("pipeline");
    cacheDir = join(dir, "onnx-cache");
    files.scenes = await sceneClip(dir);
    files.png = await pngImage(dir);
    files.audio = await audioOnly(dir);
    files.corrupt = await corruptFile(dir);
    files.empty = await emptyFile(dir);
    store = await openSqlite(join(dir, "store.db"));
    blobs = await openBlobs(join(dir, "blobs"));
    pool = new CaptionerPool({ batchSize: 8, batchWaitMs: 20, loadOptions: { cacheDir } });
    reference = await loadCaptioner(TINY_MODEL_DIR, { cacheDir });
    const serve = (path: string, type: string) => async (_req: unknown, res: import("node:http").ServerResponse) => {
      res.setHeader("content-type", type);
      res.end(await readFile(path));
    };
    srv = await startHttpServer({
      "/scenes.mp4": serve(files.scenes, "video/mp4"),
      "/page.html": (_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end("<!doctype html><title>not a video</title>");
      },
    });
  });
  afterAll(async () => {
    await pool?.close();
    await reference?.dispose();
    await srv?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const params = (p: Record<string, unknown> = {}) => ({ model_id: TINY_MODEL_DIR, max_new_tokens: 8, ...p });
  async function uploaded(file: string, key: string): Promise<string> {
    await blobs.put(key, await readFile(file));
    return `blob://${key}`;
  }
  async function docsOf(collectionId: string) {
    const page = await store.documents.list(ns, collectionId, { limit: 100, offset: 0, sort: { field: "start_time", direction: "asc" } });
    return page.items;
  }

  it("time split: one document per segment with captions equal to the captioner's on the same frames", async () => {
    const url = await uploaded(files.scenes!, `uploads/${uniq("o")}/scenes.mp4`);
    const s = await seed(store, { ns, params: params({ split_method: "time", time_split_interval: 2 }), sources: [{ objectId: uniq("obj"), url, metadata: { title: "three scenes" } }] });
    const progress: { done: number; total: number }[] = [];
    const result = await processObject(s.payloads[0]!, ctx(s.payloads[0]!, {}, progress));
    expect(result.documents_written).toBe(3);

    const docs = await docsOf(s.collectionId);
    expect(docs.map((d) => [d.fields.start_time, d.fields.end_time])).toEqual([[0, 2], [2, 4], [4, 6]]);
    const frameTimes = docs.map((d) => (d.fields._internal as any).frame_times as number[]);
    const frames = await extractFrames(files.scenes!, frameTimes.flat(), { maxWidth: 640 });
    const expected = await reference.caption(frames.map((f) => ({ data: f.data, width: f.width, height: f.height, channels: 3 as const })), { maxNewTokens: 8, minNewTokens: 0, numBeams: 1 });
    expect(docs.map((d) => d.fields.description)).toEqual(expected.map((r) => r.text));
    expect(docs.every((d) => typeof d.fields.description === "string" && d.fields.description.length > 0)).toBe(true);

    for (const d of docs) {
      expect(d.fields.title).toBe("three scenes");
      expect(d.fields.source_video_url).toBe(url);
      const thumb = String(d.fields.thumbnail_url);
      expect(thumb).toBe(`blob://thumbnails/${s.collectionId}/${d.document_id}.jpg`);
      const jpeg = await blobs.get(thumb.slice("blob://".length));
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      const internal = d.fields._internal as any;
      expect(internal.lineage).toMatchObject({ root_object_id: s.payloads[0]!.object_id, source_object_id: s.payloads[0]!.object_id, source_type: "bucket" });
      expect(internal.processing).toEqual({ source_url: url, detected_mime_type: "video/mp4" });
      expect(internal.modality).toBe("video");
      expect(internal.model_id).toBe(TINY_MODEL_DIR);
    }
    expect(docs.map((d) => (d.fields._internal as any).segment_index)).toEqual([0, 1, 2]);

    const t = await task(s.taskId);
    expect(t.status).toBe("COMPLETED");
    expect(t.additional_data.progress).toBe(100);
    expect(t.additional_data.segments_done).toBe(3);
    expect(t.additional_data.jobs[`${s.collectionId}:${s.payloads[0]!.object_id}`]).toMatchObject({ status: "COMPLETED", documents_written: 3 });
    expect(progress.at(-1)).toEqual({ done: 3, total: 3 });
    expect((await store.resources.get("batch", ns, s.batchId))!.data.status).toBe("COMPLETED");
    expect((await store.resources.get("object", ns, s.payloads[0]!.object_id))!.data.status).toBe("COMPLETED");

    // Idempotent: the same job again gives the same ids and no extra documents.
    await processObject(s.payloads[0]!, ctx(s.payloads[0]!));
    const again = await docsOf(s.collectionId);
    expect(again.map((d) => d.document_id)).toEqual(docs.map((d) => d.document_id));
    expect(await store.documents.count(ns, s.collectionId)).toBe(3);
    expect((await task(s.taskId)).status).toBe("COMPLETED");
  });

  it("scene split over HTTP: segments start at the cuts", async () => {
    const url = srv.url("/scenes.mp4");
    const s = await seed(store, { ns, params: params({ split_method: "scene", scene_detection_threshold: 0.3 }), sources: [{ objectId: uniq("obj"), url }] });
    await processObject(s.payloads[0]!, ctx(s.payloads[0]!));
    const docs = await docsOf(s.collectionId);
    expect(docs).toHaveLength(3);
    const starts = docs.map((d) => Number(d.fields.start_time));
    expect(starts[0]).toBe(0);
    expect(Math.abs(starts[1]! - 2)).toBeLessThan(0.15);
    expect(Math.abs(starts[2]! - 4)).toBeLessThan(0.15);
    expect(Math.abs(Number(docs[2]!.fields.end_time) - 6)).toBeLessThan(0.15);
    expect((docs[0]!.fields._internal as any).processing.source_url).toBe(url);
  });

  it("an image gives one document at 0–0; a prompt turns captions into answers; several frames keep the agreed caption", async () => {
    const url = await uploaded(files.png!, `uploads/${uniq("o")}/still.png`);
    const question = "what is in the picture?";
    const s = await seed(store, { ns, params: params({ prompt: question }), sources: [{ objectId: uniq("obj"), url }] });
    await processObject(s.payloads[0]!, ctx(s.payloads[0]!));
    const [doc, ...rest] = await docsOf(s.collectionId);
    expect(rest).toHaveLength(0);
    expect([doc!.fields.start_time, doc!.fields.end_time]).toEqual([0, 0]);
    expect((doc!.fields._internal as any).modality).toBe("image");
    const [frame] = await extractFrames(files.png!, [0], { maxWidth: 640 });
    const [answer] = await reference.answer([{ data: frame!.data, width: frame!.width, height: frame!.height, channels: 3 }], question, { maxNewTokens: 8, minNewTokens: 0, numBeams: 1 });
    expect(doc!.fields.description).toBe(answer!.text);

    const multi = await seed(store, { ns, params: params({ time_split_interval: 3, frames_per_segment: 3 }), sources: [{ objectId: uniq("obj"), url: await uploaded(files.scenes!, `uploads/${uniq("o")}/s.mp4`) }] });
    await processObject(multi.payloads[0]!, ctx(multi.payloads[0]!));
    const mdocs = await docsOf(multi.collectionId);
    expect(mdocs).toHaveLength(2);
    for (const d of mdocs) {
      const internal = d.fields._internal as any;
      expect(internal.frame_times).toHaveLength(3);
      expect(internal.frame_captions).toHaveLength(3);
      expect(internal.frame_captions[internal.chosen_frame]).toBe(d.fields.description);
    }
  });

  it("frames of two concurrent jobs are captioned in one batch", async () => {
    const shared = new CaptionerPool({ batchSize: 16, batchWaitMs: 1500, loadOptions: { cacheDir } });
    try {
      await shared.warm(TINY_MODEL_DIR);
      const batches: BatchInfo[] = [];
      shared.onBatch((b) => batches.push(b));
      const a = await seed(store, { ns, params: params(), sources: [{ objectId: uniq("obj"), url: await uploaded(files.png!, `uploads/${uniq("o")}/a.png`) }] });
      const b = await seed(store, { ns, params: params(), sources: [{ objectId: uniq("obj"), url: await uploaded(files.png!, `uploads/${uniq("o")}/b.png`) }] });
      await Promise.all([
        processObject(a.payloads[0]!, { ...ctx(a.payloads[0]!), captioners: shared, jobId: "job-a" }),
        processObject(b.payloads[0]!, { ...ctx(b.payloads[0]!), captioners: shared, jobId: "job-b" }),
      ]);
      expect(batches).toHaveLength(1);
      expect(batches[0]!.size).toBe(2);
      expect(batches[0]!.origins.sort()).toEqual(["job-a", "job-b"]);
      expect((await task(a.taskId)).status).toBe("COMPLETED");
      expect((await task(b.taskId)).status).toBe("COMPLETED");
    } finally {
      await shared.close();
    }
  });

  it.each([
    ["corrupt file", "corrupt", /corrupt|invalid|could not|not a media/i],
    ["zero-byte file", "empty", /empty|0 bytes/i],
    ["audio-only file", "audio", /no video stream|audio/i],
  ])("a %s fails the task with a clear reason", async (_label, key, reason) => {
    const url = await uploaded(files[key]!, `uploads/${uniq("o")}/${key}.bin`);
    const s = await seed(store, { ns, params: params(), sources: [{ objectId: uniq("obj"), url }] });
    const err = await processObject(s.payloads[0]!, ctx(s.payloads[0]!)).catch((e) => e);
    expect(err.name).toBe("PermanentJobError");
    const t = await task(s.taskId);
    expect(t.status).toBe("FAILED");
    expect(t.error).toMatch(reason);
    const obj = (await store.resources.get("object", ns, s.payloads[0]!.object_id))!.data;
    expect(obj.status).toBe("FAILED");
    expect(obj.error).toMatch(reason);
    expect((await store.resources.get("batch", ns, s.batchId))!.data.status).toBe("FAILED");
    expect(await store.documents.count(ns, s.collectionId)).toBe(0);
  });

  it.each([
    ["a non-media URL", () => srv.url("/page.html"), {}, /not a media file.*text\/html/],
    ["a 404 URL", () => srv.url("/missing.mp4"), {}, /HTTP 404/],
    ["a blocked private URL", () => srv.url("/scenes.mp4"), { allowPrivateNetworks: false }, /127\.0\.0\.1.*loopback/],
  ])("%s fails the task with a clear reason", async (_label, url, over, reason) => {
    const s = await seed(store, { ns, params: params(), sources: [{ objectId: uniq("obj"), url: url() }] });
    const err = await processObject(s.payloads[0]!, ctx(s.payloads[0]!, { config: config(over) })).catch((e) => e);
    expect(err.name).toBe("PermanentJobError");
    const t = await task(s.taskId);
    expect(t.status).toBe("FAILED");
    expect(t.error).toMatch(reason);
  });

  it("a missing model fails with how to pull it", async () => {
    const s = await seed(store, { ns, params: params({ model_id: "Salesforce/blip2-opt-2.7b" }), sources: [{ objectId: uniq("obj"), url: srv.url("/scenes.mp4") }] });
    await expect(processObject(s.payloads[0]!, ctx(s.payloads[0]!))).rejects.toThrow(/scenecap models pull Salesforce\/blip2-opt-2\.7b/);
    expect((await task(s.taskId)).status).toBe("FAILED");
  });

  it("a batch with one good and one bad object is COMPLETED_WITH_ERRORS", async () => {
    const good = uniq("obj");
    const bad = uniq("obj");
    const s = await seed(store, {
      ns,
      params: params({ time_split_interval: 3 }),
      sources: [
        { objectId: good, url: await uploaded(files.scenes!, `uploads/${uniq("o")}/s.mp4`) },
        { objectId: bad, url: await uploaded(files.corrupt!, `uploads/${uniq("o")}/c.mp4`) },
      ],
    });
    const results = await Promise.allSettled(s.payloads.map((p) => processObject(p, ctx(p))));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    const t = await task(s.taskId);
    expect(t.status).toBe("COMPLETED_WITH_ERRORS");
    expect(t.error).toContain(`${s.collectionId}:${bad}`);
    expect(t.additional_data.jobs[`${s.collectionId}:${good}`].status).toBe("COMPLETED");
    expect(t.additional_data.jobs[`${s.collectionId}:${bad}`].status).toBe("FAILED");
    expect(t.additional_data.progress).toBe(100);
    expect(await store.documents.count(ns, s.collectionId)).toBe(2);
  });

  it("a transient failure before the last attempt leaves the job PROCESSING; the last attempt records FAILED", async () => {
    const s = await seed(store, { ns, params: params(), sources: [{ objectId: uniq("obj"), url: "http://127.0.0.1:9/unreachable.mp4" }] });
    const first = await processObject(s.payloads[0]!, ctx(s.payloads[0]!, { attempt: 1, maxAttempts: 2 })).catch((e) => e);
    expect(first.name).toBe("TransientJobError");
    expect((await task(s.taskId)).status).toBe("PROCESSING");
    await processObject(s.payloads[0]!, ctx(s.payloads[0]!, { attempt: 2, maxAttempts: 2 })).catch(() => {});
    const t = await task(s.taskId);
    expect(t.status).toBe("FAILED");
    expect(t.error).toMatch(/unreachable\.mp4 failed/);
  });
});
