import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobSigner } from "@scenecap/server";
import { harness, json, type Harness } from "./helpers.js";

describe("blobs: data-URI / base64 / raw uploads and signed URLs", () => {
  let h: Harness;
  let bucketId: string;
  beforeAll(async () => {
    h = await harness();
    bucketId = json(await h.call("POST", "/v1/buckets", { bucket_name: "up", bucket_schema: { properties: { video: { type: "video" }, image: { type: "image" } } } })).bucket_id;
  });
  afterAll(async () => { await h.close(); });

  const bytes = Buffer.from("not really a video, but bytes all the same \u0000\u0001\u0002");
  const sha = createHash("sha256").update(bytes).digest("hex");

  async function fetchSigned(url: string) {
    const u = new URL(url);
    return h.app.inject({ method: "GET", url: u.pathname + u.search });
  }

  it("stores a data-URI blob and serves it back through a signed URL", async () => {
    const res = await h.call("POST", `/v1/buckets/${bucketId}/objects`, {
      blobs: [{ property: "video", type: "video", data: `data:video/mp4;base64,${bytes.toString("base64")}` }],
    });
    expect(res.statusCode).toBe(200);
    const blob = json(res).blobs[0];
    expect(blob.details).toMatchObject({ size_bytes: bytes.length, mime_type: "video/mp4", hash: sha });
    expect(blob.data).toMatch(/\/v1\/blobs\/uploads\/.+\.mp4\?expires=\d+&sig=/);
    // the store keeps the blob:// reference the worker reads
    const rec = await h.store.resources.get("object", (await h.store.resources.list("namespace", null, { limit: 10, offset: 0 })).items[0]!.id, json(res).object_id);
    expect((rec!.data.blobs as any)[0].data).toMatch(/^blob:\/\/uploads\//);
    const got = await fetchSigned(blob.data);
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-type"]).toBe("video/mp4");
    expect(got.rawPayload.equals(bytes)).toBe(true);
  });

  it("stores {base64, mime_type, filename} blobs", async () => {
    const res = await h.call("POST", `/v1/buckets/${bucketId}/objects`, {
      blobs: [{ property: "image", type: "image", data: { base64: bytes.toString("base64"), mime_type: "image/png", filename: "x.png" } }],
    });
    expect(res.statusCode).toBe(200);
    const blob = json(res).blobs[0];
    expect(blob.details).toMatchObject({ filename: "x.png", mime_type: "image/png", size_bytes: bytes.length, hash: sha });
    const got = await fetchSigned(blob.data);
    expect(got.rawPayload.equals(bytes)).toBe(true);
  });

  it("rejects tampered, expired and unsigned blob URLs", async () => {
    const res = await h.call("POST", `/v1/buckets/${bucketId}/objects`, { blobs: [{ property: "video", type: "video", data: { base64: bytes.toString("base64") } }] });
    const url = new URL(json(res).blobs[0].data);
    const tampered = url.pathname + url.search.replace(/sig=./, "sig=A");
    expect((await h.app.inject({ method: "GET", url: tampered })).statusCode).toBe(403);
    expect((await h.app.inject({ method: "GET", url: url.pathname })).statusCode).toBe(401);
    const key = decodeURIComponent(url.pathname.replace(/^\/v1\/blobs\//, ""));
    const expired = new BlobSigner("test-signing-secret-123456", -10).sign(key);
    expect((await h.app.inject({ method: "GET", url: `${url.pathname}?expires=${expired.expires}&sig=${expired.sig}` })).statusCode).toBe(403);
    // a valid signature for a key that holds nothing → 404
    const ghost = new BlobSigner("test-signing-secret-123456", 60).sign("uploads/nothing.mp4");
    expect((await h.app.inject({ method: "GET", url: `/v1/blobs/uploads/nothing.mp4?expires=${ghost.expires}&sig=${ghost.sig}` })).statusCode).toBe(404);
  });

  it("raw upload: PUT bytes → upload_id → object blob referencing it", async () => {
    const put = await h.app.inject({
      method: "PUT", url: "/v1/uploads/my%20clip.mp4",
      headers: { authorization: `Bearer ${h.key}`, "content-type": "application/octet-stream" }, payload: bytes,
    });
    expect(put.statusCode).toBe(201);
    const up = put.json();
    expect(up).toMatchObject({ filename: "my_clip.mp4", mime_type: "video/mp4", size_bytes: bytes.length, sha256: sha });
    const obj = await h.call("POST", `/v1/buckets/${bucketId}/objects`, { blobs: [{ property: "video", type: "video", upload_id: up.upload_id }] });
    expect(obj.statusCode).toBe(200);
    const blob = json(obj).blobs[0];
    expect(blob.details.hash).toBe(sha);
    expect((await fetchSigned(blob.data)).rawPayload.equals(bytes)).toBe(true);
    const onDisk = await readFile(`${h.blobDir}/${decodeURIComponent(new URL(blob.data).pathname.replace(/^\/v1\/blobs\//, ""))}`);
    expect(onDisk.equals(bytes)).toBe(true);
    // unknown upload ids and uploads without a key fail cleanly
    expect((await h.call("POST", `/v1/buckets/${bucketId}/objects`, { blobs: [{ property: "video", type: "video", upload_id: "upl_nope" }] })).statusCode).toBe(404);
    expect((await h.app.inject({ method: "PUT", url: "/v1/uploads/x.mp4", payload: bytes })).statusCode).toBe(401);
    expect((await h.app.inject({ method: "PUT", url: "/v1/uploads/x.mp4", headers: { authorization: `Bearer ${h.key}` }, payload: "" })).statusCode).toBe(400);
  });

  it("raw uploads over the upload limit → 413", async () => {
    const small = await harness({ uploadLimit: 16 });
    try {
      const res = await small.app.inject({ method: "PUT", url: "/v1/uploads/big.mp4", headers: { authorization: `Bearer ${small.key}`, "content-type": "video/mp4" }, payload: bytes });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.type).toBe("PayloadTooLargeError");
    } finally {
      await small.close();
    }
  });

  it("documents' blob:// fields come back as signed URLs", async () => {
    const col = json(await h.call("POST", "/v1/collections", { collection_name: "c", source: { bucket_id: bucketId }, feature_extractor: { feature_extractor_name: "scene_description" } }));
    await h.blobs.put(`thumbnails/${col.collection_id}/doc_t.jpg`, Buffer.from("jpegbytes"));
    await h.call("POST", `/v1/collections/${col.collection_id}/documents`, { document_id: "doc_t", description: "x", thumbnail_url: `blob://thumbnails/${col.collection_id}/doc_t.jpg` });
    const doc = json(await h.call("GET", `/v1/collections/${col.collection_id}/documents/doc_t`));
    expect(doc.thumbnail_url).toMatch(/^http:\/\/.+\/v1\/blobs\/thumbnails\//);
    const img = await fetchSigned(doc.thumbnail_url);
    expect(img.headers["content-type"]).toBe("image/jpeg");
    expect(img.body).toBe("jpegbytes");
  });
});

describe("presigned uploads (Mixpeek flow)", () => {
  let h: Harness;
  let bucketId: string;
  beforeAll(async () => {
    h = await harness();
    bucketId = json(await h.call("POST", "/v1/buckets", { bucket_name: "pre", bucket_schema: { properties: { thumb: { type: "image" }, video: { type: "video" } } } })).bucket_id;
  });
  afterAll(async () => { await h.close(); });
  const bytes = Buffer.from("presigned upload bytes ".repeat(100));
  const sha = createHash("sha256").update(bytes).digest("hex");

  it("create → PUT to presigned_url (no key) → confirm creates the object", async () => {
    const created = await h.call("POST", `/v1/buckets/${bucketId}/uploads`, {
      filename: "clip.mp4", content_type: "video/mp4", file_size_bytes: bytes.length, file_hash: sha, object_metadata: { title: "t" },
    });
    expect(created.statusCode).toBe(200);
    const s = json(created);
    expect(s).toMatchObject({ status: "PENDING", method: "PUT", bucket_id: bucketId, create_object_on_confirm: true });
    // confirming before the bytes arrived is refused
    expect((await h.call("POST", `/v1/buckets/${bucketId}/uploads/${s.upload_id}/confirm`)).statusCode).toBe(400);
    const u = new URL(s.presigned_url);
    const put = await h.app.inject({ method: "PUT", url: u.pathname + u.search, headers: { "content-type": "video/mp4" }, payload: bytes });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ status: "UPLOADED", size_bytes: bytes.length, sha256: sha });
    // the upload signature is not a read signature, and a tampered one fails
    expect((await h.app.inject({ method: "PUT", url: u.pathname + u.search.replace(/sig=./, "sig=B"), payload: bytes })).statusCode).toBe(403);
    const conf = await h.call("POST", `/v1/buckets/${bucketId}/uploads/${s.upload_id}/confirm`);
    expect(conf.statusCode).toBe(200);
    const c = json(conf);
    expect(c.status).toBe("COMPLETED");
    expect(c.object).toMatchObject({ bucket_id: bucketId, metadata: { title: "t" } });
    expect(c.object.blobs[0]).toMatchObject({ property: "video", type: "video", details: { hash: sha, size_bytes: bytes.length } });
    const got = await h.app.inject({ method: "GET", url: new URL(c.object.blobs[0].data).pathname + new URL(c.object.blobs[0].data).search });
    expect(got.rawPayload.equals(bytes)).toBe(true);
    // confirm is idempotent; a confirmed upload cannot be overwritten
    expect(json(await h.call("POST", `/v1/buckets/${bucketId}/uploads/${s.upload_id}/confirm`)).object_id).toBe(c.object_id);
    expect((await h.app.inject({ method: "PUT", url: u.pathname + u.search, payload: bytes })).statusCode).toBe(409);
    expect(json(await h.call("GET", `/v1/buckets/${bucketId}/uploads/${s.upload_id}`)).status).toBe("COMPLETED");
  });

  it("size or hash mismatches are refused at confirm; unknown uploads → 404", async () => {
    const s = json(await h.call("POST", `/v1/buckets/${bucketId}/uploads`, { filename: "a.png", content_type: "image/png", file_size_bytes: 3 }));
    const u = new URL(s.presigned_url);
    await h.app.inject({ method: "PUT", url: u.pathname + u.search, payload: bytes });
    const conf = await h.call("POST", `/v1/buckets/${bucketId}/uploads/${s.upload_id}/confirm`);
    expect(conf.statusCode).toBe(400);
    expect(json(conf).error.message).toMatch(/expected file_size_bytes=3/);
    expect((await h.call("POST", `/v1/buckets/${bucketId}/uploads/upl_nope/confirm`)).statusCode).toBe(404);
    expect((await h.call("POST", `/v1/buckets/${bucketId}/uploads`, { filename: "x" })).statusCode).toBe(422);
  });
});
