/**
 * End to end: the SDK against the real scenecap server (Fastify on an ephemeral port, SQLite `:memory:` store,
 * local blob directory, the store's local job queue — no worker runs, so tasks stay queued).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  ConflictError,
  Mixpeek,
  NotFoundError,
  UnprocessableEntityError,
} from "mixpeek";
import type { Bucket } from "mixpeek";
import { startTestServer } from "./server-fixture.js";
import type { RunningTestServer } from "./server-fixture.js";

let srv: RunningTestServer;
let baseUrl: string;
let dir: string;
let mx: Mixpeek;

beforeAll(async () => {
  srv = await startTestServer();
  baseUrl = srv.baseUrl;
  dir = srv.dir;
  mx = new Mixpeek({ apiKey: srv.apiKey, baseUrl, namespace: null, retryDelay: { initialDelay: 1, maxDelay: 5 } });
});

afterAll(async () => {
  await srv?.close();
});

const sceneExtractor = { name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b" } };

async function all<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}

describe("SDK ↔ scenecap server", () => {
  it("health and the extractor registry need no namespace", async () => {
    const health = await mx.health.check();
    expect(health).toMatchObject({ status: "ok", store: "sqlite", queue: "local" });
    // health needs no key at all
    await expect(new Mixpeek({ apiKey: "sk_unknown", baseUrl }).health.check()).resolves.toMatchObject({ status: "ok" });
    const extractors = await mx.featureExtractors.list();
    const ids = extractors.map((e) => e.feature_extractor_id);
    expect(ids).toContain("scene_description_v1");
    const fe = await mx.featureExtractors.get("scene_description_v1");
    expect(fe.feature_extractor_name).toBe("scene_description");
    await expect(mx.featureExtractors.get("nope_v9")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("namespaces: create, get, update, list, scope requests, delete", async () => {
    const ns = await mx.namespaces.create({
      namespace_name: "sdk-e2e-ns",
      feature_extractors: [{ feature_extractor_name: "scene_description", version: "v1" }],
    });
    expect(ns.namespace_id).toMatch(/^ns_/);
    expect((await mx.namespaces.get(ns.namespace_id)).namespace_name).toBe("sdk-e2e-ns");
    expect((await mx.namespaces.get("sdk-e2e-ns")).namespace_id).toBe(ns.namespace_id);
    const updated = await mx.namespaces.update(ns.namespace_id, { description: "for the SDK e2e test" });
    expect(updated.description).toBe("for the SDK e2e test");
    const names = (await all(mx.namespaces.list({ limit: 1 }))).map((n) => n.namespace_name);
    expect(names).toContain("sdk-e2e-ns");

    // A bucket made in the namespace is invisible from the key's default namespace.
    const scoped = mx.withOptions({ namespace: ns.namespace_id });
    await scoped.buckets.create({ bucket_name: "only-in-ns", bucket_schema: { properties: { video: { type: "video" } } } });
    expect((await scoped.buckets.get("only-in-ns")).bucket_name).toBe("only-in-ns");
    await expect(mx.buckets.get("only-in-ns")).rejects.toBeInstanceOf(NotFoundError);
    await expect(mx.buckets.get("only-in-ns", { namespace: "sdk-e2e-ns" })).resolves.toMatchObject({ bucket_name: "only-in-ns" });

    await mx.namespaces.delete(ns.namespace_id);
    await expect(mx.namespaces.get(ns.namespace_id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(scoped.buckets.get("only-in-ns")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("buckets: create, get, update, paginate, delete", async () => {
    const made: Bucket[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await mx.buckets.create({
          bucket_name: `page-bucket-${i}`,
          bucket_schema: { properties: { video: { type: "video" }, title: { type: "string" } } },
        }),
      );
    }
    expect(made[0]!.bucket_id).toMatch(/^bkt_/);
    expect((await mx.buckets.get(made[0]!.bucket_id)).bucket_name).toBe("page-bucket-0");
    const updated = await mx.buckets.update("page-bucket-1", { description: "second" });
    expect(updated.description).toBe("second");

    const first = await mx.buckets.list({ limit: 2, search: "page-bucket" });
    expect(first.results).toHaveLength(2);
    expect(first.total).toBe(5);
    expect(first.hasNextPage()).toBe(true);
    const names = (await all(mx.buckets.list({ limit: 2, search: "page-bucket" }))).map((b) => b.bucket_name).sort();
    expect(names).toEqual(["page-bucket-0", "page-bucket-1", "page-bucket-2", "page-bucket-3", "page-bucket-4"]);

    for (const b of made) await mx.buckets.delete(b.bucket_id);
    expect((await mx.buckets.list({ search: "page-bucket" })).results).toHaveLength(0);
  });

  it("error classes for 401, 404, 409 and 422", async () => {
    const bad = new Mixpeek({ apiKey: "sk_wrong", baseUrl, maxRetries: 0 });
    const e401 = await bad.buckets.list().catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(AuthenticationError);
    expect((e401 as AuthenticationError).message).toMatch(/^401 /);

    const e404 = await mx.collections.get("no-such-collection").catch((e: unknown) => e);
    expect(e404).toBeInstanceOf(NotFoundError);
    expect((e404 as NotFoundError).error).toMatchObject({ success: false, status: 404 });

    await mx.buckets.create({ bucket_name: "dup", bucket_schema: { properties: { video: { type: "video" } } } });
    const e409 = await mx.buckets
      .create({ bucket_name: "dup", bucket_schema: { properties: { video: { type: "video" } } } }, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(e409).toBeInstanceOf(ConflictError);

    const e422 = await mx.buckets.create({ bucket_schema: { properties: {} } } as never).catch((e: unknown) => e);
    expect(e422).toBeInstanceOf(UnprocessableEntityError);
    expect((e422 as UnprocessableEntityError).message).toMatch(/bucket_name/);
  });

  it("ingest of a URL creates bucket, collection, object, batch and task; a second ingest reuses them", async () => {
    const res = await mx.collections.ingest({
      collection_id: "e2e-videos",
      source: { url: "https://example.com/video.mp4" },
      feature_extractors: [sceneExtractor],
    });
    expect(res.created_collection).toBe(true);
    expect(res.status.toUpperCase()).toBe("PENDING");
    expect(res.collection_id).toMatch(/^col_/);

    const collection = await mx.collections.get("e2e-videos");
    expect(collection.collection_id).toBe(res.collection_id);
    expect(collection.feature_extractor).toMatchObject({ feature_extractor_name: "scene_description", version: "v1" });
    expect(collection.source?.bucket_ids).toEqual([res.bucket_id]);
    const bucket = await mx.buckets.get(res.bucket_id);
    expect(bucket.bucket_name).toBe("e2e-videos-bucket");

    const object = await mx.buckets.objects.get(res.bucket_id, res.object_id);
    expect(object.blobs?.[0]).toMatchObject({ property: "video", type: "video" });
    const batch = await mx.buckets.batches.get(res.bucket_id, res.batch_id);
    expect(batch.object_ids).toEqual([res.object_id]);
    const task = await mx.tasks.get(res.task_id);
    expect(task.task_id).toBe(res.task_id);
    expect(task.additional_data?.batch_id).toBe(res.batch_id);

    const again = await mx.collections.ingest({
      collection_id: res.collection_id,
      source: { url: "https://example.com/other.mov" },
      feature_extractors: [sceneExtractor],
    });
    expect(again.created_collection).toBe(false);
    expect(again.bucket_id).toBe(res.bucket_id);
    expect(again.task_id).not.toBe(res.task_id);
    const objects = await all(mx.objects.list(res.bucket_id, { limit: 1 }));
    expect(objects.map((o) => o.object_id).sort()).toEqual([res.object_id, again.object_id].sort());
    const batches = await all(mx.batches.list(res.bucket_id));
    expect(batches.map((b) => b.batch_id)).toContain(again.batch_id);

    // The extractor of an existing collection is fixed.
    await expect(
      mx.collections.ingest({
        collection_id: "e2e-videos",
        source: { url: "https://example.com/v.mp4" },
        feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: "someone/else" } }],
      }),
    ).rejects.toThrow(/already exists with params.model_id/);
  });

  it("ingest of a local file streams it through a presigned upload and the server stores the blob", async () => {
    const clip = join(dir, "clip.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1", "-pix_fmt", "yuv420p", "-y", clip]);
    const progress: Array<[number, number]> = [];
    const res = await mx.collections.ingest({
      collection_id: "e2e-local",
      source: { path: clip },
      feature_extractors: [sceneExtractor],
      onUploadProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(progress.at(-1)).toEqual([readFileSync(clip).length, readFileSync(clip).length]);
    const object = await mx.objects.get(res.bucket_id, res.object_id);
    const blob = object.blobs?.[0];
    const bytes = readFileSync(clip);
    expect(blob).toMatchObject({
      property: "video",
      type: "video",
      details: {
        filename: "clip.mp4",
        size_bytes: bytes.length,
        mime_type: "video/mp4",
        hash: createHash("sha256").update(bytes).digest("hex"),
      },
    });
    // The stored file comes back byte for byte through the blob's signed URL.
    const signedUrl = (blob as { data?: unknown } | undefined)?.data;
    expect(typeof signedUrl).toBe("string");
    const fetched = Buffer.from(await (await fetch(signedUrl as string)).arrayBuffer());
    expect(fetched.equals(bytes)).toBe(true);
    expect((await mx.tasks.get(res.task_id)).status).toMatch(/PENDING|IN_PROGRESS|PROCESSING/);

    const img = join(dir, "still.png");
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "1", "-y", img]);
    const imgRes = await mx.collections.ingest({ collection_id: "e2e-stills", source: { path: img }, feature_extractors: [sceneExtractor] });
    expect((await mx.buckets.get(imgRes.bucket_id)).bucket_schema?.properties).toHaveProperty("image");

    // Bytes in memory take the same upload path.
    const pngBytes = readFileSync(img);
    const bytesRes = await mx.collections.ingest({ collection_id: "e2e-stills", source: { data: new Uint8Array(pngBytes), filename: "still-bytes.png" } });
    const bytesObject = await mx.objects.get(bytesRes.bucket_id, bytesRes.object_id);
    expect(bytesObject.blobs?.[0]).toMatchObject({
      property: "image",
      details: { filename: "still-bytes.png", size_bytes: pngBytes.length, mime_type: "image/png", hash: createHash("sha256").update(pngBytes).digest("hex") },
    });
  });

  it("uploads: create → put → confirm creates the object; a tampered URL, a size mismatch and a bad id are refused", async () => {
    const bucket = await mx.buckets.create({ bucket_name: "e2e-uploads", bucket_schema: { properties: { video: { type: "video" } } } });
    const file = join(dir, "up.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-t", "1", "-pix_fmt", "yuv420p", "-y", file]);
    const bytes = readFileSync(file);

    const done = await mx.uploads.uploadFile(bucket.bucket_id, { path: file, object_metadata: { take: 3 } });
    expect(done).toMatchObject({ status: "COMPLETED", file_size_bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    expect(done.object).toMatchObject({ bucket_id: bucket.bucket_id, metadata: { take: 3 }, blobs: [{ property: "video", type: "video" }] });
    expect((await mx.uploads.get(bucket.bucket_id, done.upload_id)).status).toBe("COMPLETED");

    const session = await mx.uploads.create(bucket.bucket_id, { filename: "x.mp4", content_type: "video/mp4", file_size_bytes: bytes.length + 1 });
    expect(session.presigned_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/uploads\//);
    const tampered = { ...session, presigned_url: session.presigned_url!.replace(/sig=[^&]+/, "sig=forged") };
    await expect(mx.uploads.put(tampered, bytes, { maxRetries: 0 })).rejects.toMatchObject({ status: 403 });
    await expect(mx.uploads.confirm(bucket.bucket_id, session.upload_id)).rejects.toThrow(/no content yet/);
    await mx.uploads.put(session, { path: file });
    await expect(mx.uploads.confirm(bucket.bucket_id, session.upload_id)).rejects.toThrow(/expected file_size_bytes/);
    await expect(mx.uploads.get(bucket.bucket_id, "upl_nothere")).rejects.toBeInstanceOf(NotFoundError);

    // Several objects in one call, each on its own.
    const batch = await mx.objects.createBatch(bucket.bucket_id, {
      objects: [
        { blobs: [{ property: "video", type: "video", data: "https://example.com/a.mp4" }], metadata: { n: 1 } },
        { blobs: [{ property: "audio", type: "audio", data: "https://example.com/a.mp3" }] },
      ],
    });
    expect(batch).toMatchObject({ succeeded_count: 1, failed_count: 1, failed: [{ index: 1, error: { status: 422 } }] });
    expect(batch.succeeded[0]?.metadata).toEqual({ n: 1 });
    await expect(mx.objects.createBatch(bucket.bucket_id, { objects: [{ blobs: [{ property: "audio", type: "audio" }] }] }))
      .rejects.toBeInstanceOf(UnprocessableEntityError);
  });

  it("collections: list, update, features, trigger; tasks: list, delete", async () => {
    const names = (await all(mx.collections.list({ limit: 1 }))).map((c) => c.collection_name);
    expect(names).toEqual(expect.arrayContaining(["e2e-videos", "e2e-local"]));
    const updated = await mx.collections.update("e2e-local", { description: "local uploads" });
    expect(updated.description).toBe("local uploads");
    const features = await mx.collections.features("e2e-local");
    expect(features.features[0]?.feature_address).toMatch(/^mixpeek:\/\/scene_description@v1/);

    const trig = await mx.collections.trigger("e2e-local");
    expect(trig.task_id).toBeTruthy();
    expect(trig.batch_id).toBeTruthy();

    const tasks = await all(mx.tasks.list({ limit: 2 }));
    expect(tasks.map((t) => t.task_id)).toContain(trig.task_id);
    await mx.tasks.delete(trig.task_id);
    const killed = await mx.tasks.get(trig.task_id);
    expect(killed.status).toBe("CANCELED");
    const waited = await mx.tasks.wait(trig.task_id, { timeout: 1_000, pollInterval: 10 });
    expect(waited.status).toBe("CANCELED");
  });

  it("documents and retrievers: create, list, search, execute, delete", async () => {
    const col = "e2e-videos";
    const a = await mx.documents.create(col, { start_time: 0, end_time: 5, description: "a brown dog running on the beach" });
    const b = await mx.documents.create(col, { start_time: 5, end_time: 10, description: "a red car parked in a street" });
    expect(a.document_id).toBeTruthy();
    expect((await mx.documents.get(col, a.document_id)).description).toBe("a brown dog running on the beach");
    const docs = await all(mx.documents.list(col, { limit: 1 }));
    expect(docs.map((d) => d.document_id).sort()).toEqual([a.document_id, b.document_id].sort());

    const info = await mx.collections.get(col);
    const featureUri = info.vector_indexes?.[0]?.feature_uri ?? "mixpeek://scene_description@v1/salesforce_blip2_v1";
    const stages = [
      {
        stage_name: "captions",
        stage_type: "filter",
        config: {
          stage_id: "feature_search",
          parameters: { searches: [{ feature_uri: featureUri, query: { input_mode: "text" as const, value: "{{INPUT.query}}" } }], final_top_k: 5 },
        },
      },
    ];
    const adhoc = await mx.retrievers.executeAdhoc({
      collection_identifiers: [col],
      input_schema: { query: { type: "text" } },
      inputs: { query: "dog beach" },
      stages,
    });
    expect(adhoc.documents[0]?.document_id).toBe(a.document_id);
    expect(adhoc.documents.some((d) => d.document_id === b.document_id)).toBe(false);

    const created = await mx.retrievers.create({
      retriever_name: "e2e-search",
      collection_identifiers: [col],
      input_schema: { query: { type: "text" } },
      stages,
    });
    const retrieverId = created.retriever_id ?? created.retriever?.retriever_id;
    expect(retrieverId).toMatch(/^ret_/);
    expect((await mx.retrievers.get(retrieverId!)).retriever_name).toBe("e2e-search");
    expect((await all(mx.retrievers.list())).map((r) => r.retriever_id)).toContain(retrieverId);
    const run = await mx.retrievers.execute(retrieverId!, { inputs: { query: "red car" } });
    expect(run.documents[0]?.document_id).toBe(b.document_id);
    expect(typeof run.documents[0]?.score).toBe("number");

    // Streamed over a real socket: one event per stage, then the same page as the JSON answer.
    const events = [];
    for await (const e of mx.retrievers.executeStream(retrieverId!, { inputs: { query: "red car" } })) events.push(e);
    expect(events.map((e) => e.event_type)).toEqual(["stage_start", "stage_complete", "execution_complete"]);
    expect(events[2]!.documents?.map((d) => d.document_id)).toEqual(run.documents.map((d) => d.document_id));
    const adhocEvents = [];
    for await (const e of mx.retrievers.executeAdhocStream({ collection_identifiers: [col], input_schema: {}, inputs: {}, stages })) adhocEvents.push(e);
    expect(adhocEvents.at(-1)).toMatchObject({ event_type: "execution_complete", total_stages: 1 });
    await expect(mx.retrievers.executeStream("ret_missing", { inputs: {} }).next()).rejects.toBeInstanceOf(NotFoundError);

    // Published: the public runs it by name, without the account key.
    const pub = await mx.retrievers.publish(retrieverId!, { display_name: "E2E Search", display_config: { exposed_fields: ["description"] } });
    expect(pub).toMatchObject({ public_name: "e2e-search", retriever_id: retrieverId });
    expect(pub.public_api_key).toMatch(/^ret_sk_/);
    expect((await mx.retrievers.getPublished(retrieverId!)).public_api_key).toBeUndefined();
    const stranger = new Mixpeek({ apiKey: "sk_not_a_key", baseUrl, maxRetries: 0 });
    const open = await stranger.retrievers.executePublic("e2e-search", { inputs: { query: "red car" } });
    expect(open.documents.map((d) => d.document_id)).toEqual(run.documents.map((d) => d.document_id));
    expect(Object.keys(open.documents[0]!).sort()).toEqual(["collection_id", "description", "document_id", "highlight", "score"]);
    expect((await stranger.retrievers.executePublic("e2e-search", { inputs: { query: "red car" } }, { publicApiKey: pub.public_api_key! })).documents).toHaveLength(open.documents.length);
    await expect(stranger.retrievers.executePublic("e2e-search", { inputs: { query: "x" } }, { publicApiKey: "ret_sk_wrong" })).rejects.toBeInstanceOf(AuthenticationError);
    expect((await stranger.retrievers.publicConfig("e2e-search")).display_name).toBe("E2E Search");
    await mx.retrievers.unpublish(retrieverId!);
    await expect(stranger.retrievers.executePublic("e2e-search", { inputs: { query: "x" } })).rejects.toBeInstanceOf(NotFoundError);
    const stageIds = (await mx.retrievers.stages()).map((s) => s.stage_id);
    expect(stageIds).toContain("feature_search");
    await mx.retrievers.delete(retrieverId!);
    await expect(mx.retrievers.get(retrieverId!)).rejects.toBeInstanceOf(NotFoundError);

    await mx.documents.delete(col, b.document_id);
    await expect(mx.documents.get(col, b.document_id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("deleting a collection removes it", async () => {
    await mx.collections.delete("e2e-stills");
    await expect(mx.collections.get("e2e-stills")).rejects.toBeInstanceOf(NotFoundError);
  });
});
