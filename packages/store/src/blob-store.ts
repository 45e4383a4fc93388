import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobNotFoundError, InvalidBlobKeyError } from "./errors.js";
import type { BlobStore } from "./types.js";

const KEY_SEGMENT = /^[A-Za-z0-9._@=+-]+$/;

/**
 * Checks a blob key: `/`-separated segments of letters, digits and `._@=+-`, no empty, `.` or `..`
 * segment, at most 1024 characters. Returns the absolute path under `root`.
 */
export function resolveBlobKey(root: string, key: string): string {
  if (typeof key !== "string" || key.length === 0) throw new InvalidBlobKeyError(String(key), "empty key");
  if (key.length > 1024) throw new InvalidBlobKeyError(key, "longer than 1024 characters");
  for (const segment of key.split("/")) {
    if (segment === "") throw new InvalidBlobKeyError(key, "empty path segment (leading, trailing or doubled '/')");
    if (segment === "." || segment === "..") throw new InvalidBlobKeyError(key, "'.' and '..' segments are not allowed");
    if (!KEY_SEGMENT.test(segment)) throw new InvalidBlobKeyError(key, "only letters, digits and ._@=+- are allowed in a segment");
  }
  const full = resolve(root, key);
  if (!full.startsWith(root + sep)) throw new InvalidBlobKeyError(key, "resolves outside the blob directory");
  return full;
}

class LocalBlobStore implements BlobStore {
  readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async put(key: string, data: Buffer | NodeJS.ReadableStream): Promise<{ key: string; size_bytes: number; sha256: string }> {
    const full = resolveBlobKey(this.root, key);
    await mkdir(dirname(full), { recursive: true });
    const tmp = `${full}.${randomBytes(6).toString("hex")}.tmp`;
    const hash = createHash("sha256");
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const source = Buffer.isBuffer(data) ? Readable.from([data]) : (data as NodeJS.ReadableStream);
    try {
      await pipeline(source, tap, createWriteStream(tmp, { flush: true }));
      await rename(tmp, full);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { key, size_bytes: size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<Buffer> {
    const full = resolveBlobKey(this.root, key);
    try {
      return await readFile(full);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR") throw new BlobNotFoundError(key);
      throw e;
    }
  }

  async path(key: string): Promise<string> {
    const full = resolveBlobKey(this.root, key);
    if (!(await this.isFile(full))) throw new BlobNotFoundError(key);
    return full;
  }

  async exists(key: string): Promise<boolean> {
    return this.isFile(resolveBlobKey(this.root, key));
  }

  async delete(key: string): Promise<void> {
    await rm(resolveBlobKey(this.root, key), { force: true });
  }

  private async isFile(full: string): Promise<boolean> {
    try {
      return (await stat(full)).isFile();
    } catch {
      return false;
    }
  }
}

/**
 * Blobs on local disk under `dir` (created on first write). Writes go to a temp file beside the target
 * and are renamed into place, so a reader never sees a half-written blob.
 */
export function createBlobStore(dir: string): BlobStore {
  return new LocalBlobStore(dir);
}
