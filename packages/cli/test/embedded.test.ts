import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mixpeek } from "mixpeek";
import { loadCaptioner } from "@scenecap/blip2";
import { extractFrames } from "@scenecap/media";
import { startDev, type RunningDev } from "../src/index.js";
import { cutClip, serveDir, tempDir, TINY_MODEL_DIR } from "./support.js";

type Doc = Record<string, unknown> & { document_id: string; start_time: number; end_time: number; description: string; thumbnail_url: string; _internal: { frame_times: number[] } };

describe("scenecap dev (embedded mode: SQLite, store-backed queue, in-process worker)", () => {
  let dir: string;
  let clip: string;
  let files: Awaited<ReturnType<typeof serveDir>>;
  let dev: RunningDev;
  let mx: Mixpeek;

  beforeAll(async () => {
    dir = await tempDir("embedded");
    clip = await cutClip(dir);
    files = await serveDir(dir);
    dev = await startDev({ port: 0, dataDir: join(dir, "data"), apiKey: "sk_embedded_test_key", logLevel: "silent", verbose: false });
    mx = new Mixpeek({ apiKey: dev.apiKey, baseUrl: dev.url, maxRetries: 0 });
  });

  afterAll(async () => {
    await dev?.close();
    await files?.close();
  });

  it("turns the seed ingest call into timestamped, searchable scene documents captioned by the real model", async () => {
    // The seed call, with the tiny checkpoint's directory as model_id and scene splitting.
    const ingest = await mx.collections.ingest({
      collection_id: "my-collection",
      source: { url: files.url("cuts.mp4") },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: TINY_MODEL_DIR, split_method: "scene" } }],
    });
    expect(ingest.task_id).toBeTruthy();
    const task = await mx.tasks.wait(ingest.task_id, { timeout: 180_000, pollInterval: 200, maxPollInterval: 1000 });
    expect(task.status, JSON.stringify(task)).toBe("COMPLETED");

    const page = await mx.collections.documents.list(ingest.collection_id);
    const docs = (page.data as unknown as Doc[]).slice().sort((a, b) => a.start_time - b.start_time);
    // Cuts at 2 s and 4 s; the clip ends at 7 s.
    expect(docs.map((d) => [d.start_time, d.end_time].map((t) => Math.round(t * 10) / 10))).toEqual([[0, 2], [2, 4], [4, 7]]);

    // Captions are exactly what the captioner gives for the same frames.
    const frames = await extractFrames(clip, docs.map((d) => d._internal.frame_times[0]!));
    const captioner = await loadCaptioner(TINY_MODEL_DIR, { device: "cpu" });
    try {
      const expected = await captioner.caption(frames.map((f) => ({ ...f, channels: 3 as const })), { maxNewTokens: 20 });
      expect(docs.map((d) => d.description)).toEqual(expected.map((r) => r.text));
    } finally {
      await captioner.dispose();
    }

    // Thumbnails are served back through signed URLs.
    const thumb = await fetch(docs[0]!.thumbnail_url);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toContain("image/jpeg");
    const unsigned = await fetch(docs[0]!.thumbnail_url.replace(/sig=[^&]+/, "sig=forged"));
    expect(unsigned.status).toBeGreaterThanOrEqual(400);

    // Full-text search finds a scene by a word of its caption.
    const target = docs.find((d) => /[a-z]{3,}/i.test(d.description))!;
    const word = target.description.match(/[a-z]{3,}/i)![0];
    const found = await mx.retrievers.executeAdhoc({
      collection_identifiers: ["my-collection"],
      input_schema: { q: { type: "text" } },
      inputs: { q: word },
      stages: [{ stage_name: "search", config: { stage_id: "feature_search", parameters: {
        searches: [{ feature_uri: "mixpeek://scene_description@v1/salesforce_blip2_v1", query: "{{INPUT.q}}", top_k: 10 }] } } }],
    });
    const hits = found.documents.filter((d) => String(d.description).toLowerCase().includes(word.toLowerCase()));
    expect(hits.length).toBeGreaterThan(0);
    expect(found.documents.map((d) => d.document_id)).toContain(target.document_id);
  });

  it("uploads a local file (source.path) and fails a non-media upload with a clear reason", async () => {
    const ok = await mx.collections.ingest({
      collection_id: "uploads",
      source: { path: clip },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: TINY_MODEL_DIR, time_split_interval: 3 } }],
    });
    const done = await mx.tasks.wait(ok.task_id, { timeout: 180_000, pollInterval: 200, maxPollInterval: 1000 });
    expect(done.status).toBe("COMPLETED");
    const docs = (await mx.collections.documents.list(ok.collection_id)).data as unknown as Doc[];
    expect(docs.map((d) => [d.start_time, d.end_time]).sort((a, b) => a[0]! - b[0]!)).toEqual([[0, 3], [3, 6], [6, 7]]);

    const bad = await mx.collections.ingest({
      collection_id: "uploads",
      source: { data: new TextEncoder().encode("this is not a video"), filename: "notes.mp4", type: "video" },
    });
    const failed = await mx.tasks.wait(bad.task_id, { timeout: 120_000, pollInterval: 200, maxPollInterval: 1000 });
    expect(failed.status).toBe("FAILED");
    expect(String(failed.error ?? "")).not.toBe("");
  });
});
