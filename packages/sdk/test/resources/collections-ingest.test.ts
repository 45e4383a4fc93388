import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MixpeekError } from "mixpeek";
import { envelope, makeClient } from "../helpers.js";
import type { FakeResponse, SeenRequest } from "../helpers.js";

/**
 * A stateful stand-in for the hosted Mixpeek API, just enough of it for ingest: collections and buckets by
 * id or name, objects, batches, submit → task.
 */
function fakeMixpeek(seed: { collections?: Record<string, unknown>[]; buckets?: Record<string, unknown>[] } = {}) {
  const collections = [...(seed.collections ?? [])];
  const buckets = [...(seed.buckets ?? [])];
  const objects: Record<string, unknown>[] = [];
  /** Bytes received per upload id, by PUT on the presigned URL. */
  const uploaded = new Map<string, Buffer>();
  let n = 0;
  const find = (list: Record<string, unknown>[], key: string, ref: string) =>
    list.find((x) => x[`${key}_id`] === ref || x[`${key}_name`] === ref);
  const handler = async (req: SeenRequest): Promise<FakeResponse> => {
    const p = decodeURIComponent(req.path);
    const body = req.body as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (req.url.host === "storage.example.com" && req.method === "PUT" && (m = /^\/put\/(upl_\d+)$/.exec(p))) {
      const chunks: Buffer[] = [];
      if (req.body instanceof Uint8Array) chunks.push(Buffer.from(req.body)); // bytes in memory
      else for await (const c of req.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c)); // a file stream
      uploaded.set(m[1]!, Buffer.concat(chunks));
      return { status: 200 };
    }
    if (req.method === "POST" && (m = /^\/v1\/buckets\/([^/]+)\/uploads$/.exec(p))) {
      const id = `upl_${++n}`;
      return {
        body: { upload_id: id, bucket_id: m[1], status: "PENDING", method: "PUT", presigned_url: `https://storage.example.com/put/${id}?X-Sig=secret`, ...body },
      };
    }
    if (req.method === "POST" && (m = /^\/v1\/buckets\/([^/]+)\/uploads\/([^/]+)\/confirm$/.exec(p))) {
      const bytes = uploaded.get(m[2]!);
      if (!bytes) return envelope(400, `Upload ${m[2]} has no content yet`, "BadRequestError");
      return { body: { upload_id: m[2], bucket_id: m[1], status: "COMPLETED", file_size_bytes: bytes.length, object: null } };
    }
    if (req.method === "GET" && (m = /^\/v1\/collections\/([^/]+)$/.exec(p))) {
      const c = find(collections, "collection", m[1]!);
      return c ? { body: c } : envelope(404, `Collection ${m[1]} not found`, "NotFoundError");
    }
    if (req.method === "GET" && (m = /^\/v1\/buckets\/([^/]+)$/.exec(p))) {
      const b = find(buckets, "bucket", m[1]!);
      return b ? { body: b } : envelope(404, `Bucket ${m[1]} not found`, "NotFoundError");
    }
    if (req.method === "POST" && p === "/v1/buckets") {
      const b = { bucket_id: `bkt_${++n}`, ...body };
      buckets.push(b);
      return { body: b };
    }
    if (req.method === "POST" && p === "/v1/collections") {
      const c = { collection_id: `col_${++n}`, ...body };
      collections.push(c);
      return { body: c };
    }
    if (req.method === "POST" && (m = /^\/v1\/buckets\/([^/]+)\/objects$/.exec(p))) {
      const o = { object_id: `obj_${++n}`, bucket_id: m[1], ...body };
      objects.push(o);
      return { body: o };
    }
    if (req.method === "POST" && (m = /^\/v1\/buckets\/([^/]+)\/batches$/.exec(p))) {
      return { body: { batch_id: `btch_${++n}`, bucket_id: m[1], status: "DRAFT", ...body } };
    }
    if (req.method === "POST" && /^\/v1\/buckets\/[^/]+\/batches\/[^/]+\/submit$/.test(p)) {
      return { body: { task_id: `task-${++n}`, task_type: "api_buckets_batches_submit", status: "PENDING" } };
    }
    return envelope(404, `no route ${req.method} ${p}`);
  };
  return { handler, collections, buckets, objects, uploaded };
}

const extractor = { name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b" } };
const calls = (requests: SeenRequest[]) => requests.map((r) => `${r.method} ${decodeURIComponent(r.path)}`);

const tmp = mkdtempSync(join(tmpdir(), "mixpeek-sdk-ingest-"));
const emptyFile = join(tmp, "empty.mp4");
writeFileSync(emptyFile, "");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("collections.ingest", () => {
  it("creates bucket and collection for a new name, then object → batch → submit", async () => {
    const api = fakeMixpeek();
    const { client, requests } = makeClient(api.handler);
    const res = await client.collections.ingest({
      collection_id: "my-collection",
      source: { url: "https://example.com/video.mp4" },
      feature_extractors: [extractor],
    });
    expect(calls(requests)).toEqual([
      "GET /v1/collections/my-collection",
      "GET /v1/buckets/my-collection-bucket",
      "POST /v1/buckets",
      "POST /v1/collections",
      "GET /v1/buckets/bkt_1",
      "POST /v1/buckets/bkt_1/objects",
      "POST /v1/buckets/bkt_1/batches",
      "POST /v1/buckets/bkt_1/batches/btch_4/submit",
    ]);
    expect(requests[2]!.body).toMatchObject({
      bucket_name: "my-collection-bucket",
      bucket_schema: { properties: { video: { type: "video" } } },
    });
    expect(requests[3]!.body).toEqual({
      collection_name: "my-collection",
      source: { type: "bucket", bucket_ids: ["bkt_1"] },
      feature_extractor: {
        feature_extractor_name: "scene_description",
        version: "v1",
        parameters: { model_id: "Salesforce/blip2-opt-2.7b" },
        input_mappings: { video: "video" },
      },
    });
    expect(requests[5]!.body).toEqual({ blobs: [{ property: "video", type: "video", data: "https://example.com/video.mp4" }] });
    expect(requests[6]!.body).toEqual({ object_ids: ["obj_3"] });
    expect(res).toEqual({
      task_id: "task-5",
      batch_id: "btch_4",
      object_id: "obj_3",
      collection_id: "col_2",
      bucket_id: "bkt_1",
      status: "PENDING",
      created_collection: true,
    });
  });

  it("uses an existing collection's first source bucket and creates nothing else", async () => {
    const api = fakeMixpeek({
      buckets: [{ bucket_id: "bkt_a", bucket_name: "media", bucket_schema: { properties: { title: { type: "string" }, clip: { type: "video" } } } }],
      collections: [
        {
          collection_id: "col_x",
          collection_name: "scenes",
          source: { type: "bucket", bucket_ids: ["bkt_a", "bkt_b"] },
          feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { model_id: "Salesforce/blip2-opt-2.7b", split_method: "time" }, input_mappings: { video: "clip" } },
        },
      ],
    });
    const { client, requests } = makeClient(api.handler);
    const res = await client.collections.ingest({
      collection_id: "scenes",
      source: { url: "https://cdn.example.com/a/b/clip.MOV?sig=1" },
      feature_extractors: [extractor],
      metadata: { title: "t" },
    });
    expect(calls(requests)).toEqual([
      "GET /v1/collections/scenes",
      "GET /v1/buckets/bkt_a",
      "POST /v1/buckets/bkt_a/objects",
      "POST /v1/buckets/bkt_a/batches",
      expect.stringMatching(/^POST \/v1\/buckets\/bkt_a\/batches\/btch_\d+\/submit$/),
    ]);
    expect(requests[2]!.body).toEqual({
      blobs: [{ property: "clip", type: "video", data: "https://cdn.example.com/a/b/clip.MOV?sig=1" }],
      metadata: { title: "t" },
    });
    expect(res.collection_id).toBe("col_x");
    expect(res.created_collection).toBe(false);
  });

  it("works on an existing collection without feature_extractors", async () => {
    const api = fakeMixpeek({
      buckets: [{ bucket_id: "bkt_a", bucket_name: "m", bucket_schema: { properties: { video: { type: "video" } } } }],
      collections: [{ collection_id: "col_x", collection_name: "scenes", source: { type: "bucket", bucket_ids: ["bkt_a"] } }],
    });
    const { client } = makeClient(api.handler);
    const res = await client.collections.ingest({ collection_id: "col_x", source: { url: "https://e.com/v.webm" } });
    expect(res.object_id).toMatch(/^obj_/);
  });

  it("reuses an existing <name>-bucket when only the collection is missing", async () => {
    const api = fakeMixpeek({
      buckets: [{ bucket_id: "bkt_old", bucket_name: "pics-bucket", bucket_schema: { properties: { image: { type: "image" } } } }],
    });
    const { client, requests } = makeClient(api.handler);
    const res = await client.collections.ingest({
      collection_id: "pics",
      source: { url: "https://e.com/cat.JPG" },
      feature_extractors: [extractor],
    });
    expect(calls(requests)).not.toContain("POST /v1/buckets");
    expect(requests.find((r) => r.path === "/v1/collections")!.body).toMatchObject({
      source: { bucket_ids: ["bkt_old"] },
      feature_extractor: { input_mappings: { image: "image" } },
    });
    expect(res.bucket_id).toBe("bkt_old");
  });

  it("sends a local file through a presigned upload (streamed, no API key on the upload URL) and references it", async () => {
    const file = join(tmp, "frame.png");
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    writeFileSync(file, bytes);
    const api = fakeMixpeek();
    const { client, requests } = makeClient(api.handler);
    await client.collections.ingest({ collection_id: "stills", source: { path: file }, feature_extractors: [extractor] });
    expect(calls(requests)).toEqual([
      "GET /v1/collections/stills",
      "GET /v1/buckets/stills-bucket",
      "POST /v1/buckets",
      "POST /v1/collections",
      "GET /v1/buckets/bkt_1",
      "POST /v1/buckets/bkt_1/uploads",
      "PUT /put/upl_3",
      "POST /v1/buckets/bkt_1/uploads/upl_3/confirm",
      "POST /v1/buckets/bkt_1/objects",
      "POST /v1/buckets/bkt_1/batches",
      "POST /v1/buckets/bkt_1/batches/btch_5/submit",
    ]);
    expect(requests.find((r) => r.path === "/v1/buckets")!.body).toMatchObject({
      bucket_schema: { properties: { image: { type: "image" } } },
    });
    expect(requests.find((r) => r.path.endsWith("/uploads"))!.body).toEqual({
      filename: "frame.png", content_type: "image/png", file_size_bytes: bytes.length, create_object_on_confirm: false,
    });
    const put = requests.find((r) => r.method === "PUT")!;
    expect(put.url.toString()).toBe("https://storage.example.com/put/upl_3?X-Sig=secret");
    expect(put.headers["authorization"]).toBeUndefined();
    expect(put.headers["x-namespace"]).toBeUndefined();
    expect(put.headers["content-type"]).toBe("image/png");
    expect(put.headers["content-length"]).toBe(String(bytes.length));
    expect(api.uploaded.get("upl_3")).toEqual(bytes);
    expect(requests.find((r) => r.path.endsWith("/objects"))!.body).toEqual({
      blobs: [{ property: "image", type: "image", upload_id: "upl_3" }],
    });
  });

  it("retries a failed upload PUT with a fresh stream of the whole file", async () => {
    const file = join(tmp, "clip.mp4");
    const bytes = Buffer.alloc(200_000, 7);
    writeFileSync(file, bytes);
    const api = fakeMixpeek();
    let puts = 0;
    const { client, requests } = makeClient(async (req) => {
      if (req.method === "PUT" && ++puts === 1) return envelope(503, "busy");
      return api.handler(req);
    });
    const res = await client.collections.ingest({ collection_id: "clips", source: { path: file }, feature_extractors: [extractor] });
    expect(puts).toBe(2);
    expect(requests.filter((r) => r.method === "PUT")).toHaveLength(2);
    expect([...api.uploaded.values()][0]).toEqual(bytes);
    expect(res.status).toBe("PENDING");
  });

  it("never prints the presigned URL's signature in a connection error", async () => {
    const file = join(tmp, "sig.mp4");
    writeFileSync(file, Buffer.from([1, 2, 3]));
    const api = fakeMixpeek();
    const { client } = makeClient(async (req) => {
      if (req.method === "PUT") throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return api.handler(req);
    }, { maxRetries: 0 });
    const err = await client.collections.ingest({ collection_id: "sig", source: { path: file }, feature_extractors: [extractor] }).catch((e) => e);
    expect(err).toBeInstanceOf(MixpeekError);
    expect(String(err.message)).toMatch(/Connection error: socket hang up \(PUT https:\/\/storage\.example\.com\/put\/upl_\d+\)/);
    expect(String(err.message)).not.toContain("secret");
  });

  it("uploads in-memory bytes (presigned, raw) and sends data URIs and base64 strings inline", async () => {
    const api = fakeMixpeek();
    const { client, requests } = makeClient(api.handler);
    await client.collections.ingest({
      collection_id: "mem",
      source: { data: new Uint8Array([1, 2, 3]), mime_type: "video/mp4", filename: "a.mp4" },
      feature_extractors: [extractor],
    });
    expect(requests.find((r) => r.path.endsWith("/uploads"))!.body).toEqual({
      filename: "a.mp4", content_type: "video/mp4", file_size_bytes: 3, create_object_on_confirm: false,
    });
    const put = requests.find((r) => r.method === "PUT")!;
    expect(put.headers["content-type"]).toBe("video/mp4");
    expect(put.headers.authorization).toBeUndefined();
    expect([...api.uploaded.values()][0]).toEqual(Buffer.from([1, 2, 3]));
    const uploadId = [...api.uploaded.keys()][0];
    expect(requests.find((r) => r.path.endsWith("/objects"))!.body).toEqual({ blobs: [{ property: "video", type: "video", upload_id: uploadId }] });

    await client.collections.ingest({ collection_id: "mem64", source: { data: "AQID", mime_type: "video/mp4", filename: "b.mp4" }, feature_extractors: [extractor] });
    expect(requests.filter((r) => r.path.endsWith("/objects")).at(-1)!.body).toEqual({
      blobs: [{ property: "video", type: "video", data: { base64: "AQID", mime_type: "video/mp4", filename: "b.mp4" } }],
    });
    const uri = "data:image/jpeg;base64,/9j/AA==";
    await client.collections.ingest({ collection_id: "mem2", source: { data: uri }, feature_extractors: [extractor] });
    const last = requests.filter((r) => r.path.endsWith("/objects")).at(-1)!;
    expect(last.body).toEqual({ blobs: [{ property: "image", type: "image", data: uri }] });
  });

  it("infers the media kind: gif and unknown extensions are video, images are image, type overrides", async () => {
    const kinds: string[] = [];
    for (const source of [
      { url: "https://e.com/anim.gif" },
      { url: "https://e.com/stream?id=1" },
      { url: "https://e.com/p.webp" },
      { url: "https://e.com/p.bin", type: "image" as const },
      { url: "https://e.com/movie.mkv" },
    ]) {
      const api = fakeMixpeek();
      const { client, requests } = makeClient(api.handler);
      await client.collections.ingest({ collection_id: "k", source, feature_extractors: [extractor] });
      kinds.push((requests.find((r) => r.path.endsWith("/objects"))!.body as { blobs: Array<{ type: string }> }).blobs[0]!.type);
    }
    expect(kinds).toEqual(["video", "video", "image", "image", "video"]);
  });

  it("refuses more than one feature extractor before sending anything", async () => {
    const { client, requests } = makeClient(fakeMixpeek().handler);
    await expect(
      client.collections.ingest({
        collection_id: "c",
        source: { url: "https://e.com/v.mp4" },
        feature_extractors: [extractor, { name: "other", version: "v1" }],
      }),
    ).rejects.toThrow(/exactly one feature extractor, got 2/);
    expect(requests).toHaveLength(0);
  });

  it("rejects bad input with clear errors and no requests", async () => {
    const { client, requests } = makeClient(fakeMixpeek().handler);
    const bad: Array<[unknown, RegExp]> = [
      [{ collection_id: "", source: { url: "https://e.com/v.mp4" } }, /collection_id must be a non-empty string/],
      [{ collection_id: "c", source: { url: "https://e.com/v.mp4", path: "/x.mp4" } }, /exactly one of url, path or data \(got url, path\)/],
      [{ collection_id: "c", source: {} }, /got none/],
      [{ collection_id: "c", source: { url: "file:///etc/passwd" } }, /http\(s\) or s3 URL/],
      [{ collection_id: "c", source: { url: "https://e.com/doc.pdf", mime_type: "application/pdf" } }, /unsupported media type application\/pdf/],
      [{ collection_id: "c", source: { path: join(tmp, "missing.mp4") } }, /cannot read .*missing\.mp4 \(ENOENT\)/],
      [{ collection_id: "c", source: { path: tmp } }, /cannot read .* not a regular file/],
      [{ collection_id: "c", source: { path: emptyFile } }, /empty\.mp4 is empty/],
      [{ collection_id: "c", source: { data: new Uint8Array(0) } }, /source\.data is empty/],
      [{ collection_id: "c", source: { data: "not base64 !!" } }, /base64 or a data: URI/],
      [{ collection_id: "c", source: { url: "https://e.com/v.mp4" }, feature_extractors: [{ version: "v1" }] }, /name must be a non-empty string/],
    ];
    for (const [params, message] of bad) {
      await expect(client.collections.ingest(params as never)).rejects.toThrow(message);
    }
    expect(requests).toHaveLength(0);
  });

  it("needs feature_extractors to create a missing collection, and never creates one from a col_ id", async () => {
    const { client, requests } = makeClient(fakeMixpeek().handler);
    await expect(client.collections.ingest({ collection_id: "new", source: { url: "https://e.com/v.mp4" } })).rejects.toThrow(
      /does not exist; pass feature_extractors/,
    );
    await expect(
      client.collections.ingest({ collection_id: "col_abc123", source: { url: "https://e.com/v.mp4" }, feature_extractors: [extractor] }),
    ).rejects.toThrow(/col_abc123 not found/);
    expect(calls(requests)).toEqual(["GET /v1/collections/new", "GET /v1/collections/col_abc123"]);
  });

  it("refuses an existing collection whose extractor or params differ", async () => {
    const api = fakeMixpeek({
      buckets: [{ bucket_id: "bkt_a", bucket_name: "m", bucket_schema: { properties: { video: { type: "video" } } } }],
      collections: [
        {
          collection_id: "col_x",
          collection_name: "qa",
          source: { type: "bucket", bucket_ids: ["bkt_a"] },
          feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { prompt: "What color is the car?" } },
        },
      ],
    });
    const { client, requests } = makeClient(api.handler);
    await expect(
      client.collections.ingest({
        collection_id: "qa",
        source: { url: "https://e.com/v.mp4" },
        feature_extractors: [{ name: "scene_description", version: "v1", params: { prompt: "How many people?" } }],
      }),
    ).rejects.toThrow(/already exists with params.prompt "What color is the car\?"/);
    await expect(
      client.collections.ingest({ collection_id: "qa", source: { url: "https://e.com/v.mp4" }, feature_extractors: [{ name: "other" }] }),
    ).rejects.toThrow(MixpeekError);
    expect(requests.every((r) => r.method === "GET")).toBe(true);
  });

  it("a bucket without a property of the needed kind is a clear error", async () => {
    const api = fakeMixpeek({
      buckets: [{ bucket_id: "bkt_a", bucket_name: "m", bucket_schema: { properties: { video: { type: "video" } } } }],
      collections: [{ collection_id: "col_x", collection_name: "vids", source: { type: "bucket", bucket_ids: ["bkt_a"] } }],
    });
    const { client } = makeClient(api.handler);
    await expect(client.collections.ingest({ collection_id: "vids", source: { url: "https://e.com/p.png" } })).rejects.toThrow(
      /has no image property/,
    );
  });

  it("server errors propagate as API errors", async () => {
    const { client } = makeClient(() => envelope(401, "Invalid API key", "UnauthorizedError"));
    await expect(client.collections.ingest({ collection_id: "c", source: { url: "https://e.com/v.mp4" } })).rejects.toMatchObject({
      name: "AuthenticationError",
      status: 401,
    });
  });
});
