import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { BlobNotFoundError, InvalidBlobKeyError, createBlobStore } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "scenecap-blobs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("local blob store", () => {
  const blobs = createBlobStore(join(dir, "root"));

  it("puts a buffer and reads it back by key and by path", async () => {
    const data = Buffer.from("frame bytes \u00e9\n");
    const put = await blobs.put("thumbnails/col_x/doc_y.jpg", data);
    expect(put).toEqual({ key: "thumbnails/col_x/doc_y.jpg", size_bytes: data.length, sha256: sha(data) });
    expect(await blobs.get("thumbnails/col_x/doc_y.jpg")).toEqual(data);
    const path = await blobs.path("thumbnails/col_x/doc_y.jpg");
    expect(path).toBe(join(blobs.root, "thumbnails", "col_x", "doc_y.jpg"));
    expect(await blobs.exists("thumbnails/col_x/doc_y.jpg")).toBe(true);
  });

  it("streams large input, hashing as it writes, and leaves no temp files", async () => {
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const whole = Buffer.concat(chunks);
    const put = await blobs.put("uploads/obj_1/video.mp4", Readable.from(chunks));
    expect(put.size_bytes).toBe(whole.length);
    expect(put.sha256).toBe(sha(whole));
    expect(sha(await blobs.get("uploads/obj_1/video.mp4"))).toBe(sha(whole));
    expect(readdirSync(join(blobs.root, "uploads/obj_1"))).toEqual(["video.mp4"]);
  });

  it("replaces an existing blob atomically and cleans up after a failed stream", async () => {
    await blobs.put("a/file.bin", Buffer.from("old"));
    const failing = new Readable({
      read() {
        this.push(Buffer.from("partial"));
        this.destroy(new Error("source broke"));
      },
    });
    await expect(blobs.put("a/file.bin", failing)).rejects.toThrow(/source broke/);
    expect((await blobs.get("a/file.bin")).toString()).toBe("old");
    expect(readdirSync(join(blobs.root, "a"))).toEqual(["file.bin"]);
    await blobs.put("a/file.bin", Buffer.from("new"));
    expect((await blobs.get("a/file.bin")).toString()).toBe("new");
  });

  it("reports missing blobs clearly and deletes idempotently", async () => {
    await expect(blobs.get("nope/x")).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(blobs.path("nope/x")).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(blobs.path("a")).rejects.toBeInstanceOf(BlobNotFoundError); // a directory is not a blob
    expect(await blobs.exists("nope/x")).toBe(false);
    await blobs.put("del/me", Buffer.from("x"));
    await blobs.delete("del/me");
    await blobs.delete("del/me");
    expect(await blobs.exists("del/me")).toBe(false);
  });

  it("rejects keys that could leave the blob directory", async () => {
    const bad = ["", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\\..\\b", "a/b/", "..", "a/\u0000b", "c:/x", "a b", "x".repeat(2000)];
    for (const key of bad) {
      await expect(blobs.put(key, Buffer.from("x"))).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(blobs.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(blobs.path(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(blobs.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(blobs.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    expect(readdirSync(dir)).toEqual(["root"]);
  });
});
