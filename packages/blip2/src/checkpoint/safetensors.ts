import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { CheckpointError } from "./errors.js";
import { DTYPE_BYTES, isSupportedDtype, toFloat32, type SafetensorsDtype } from "./dtype.js";

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute path of the shard holding it. */
  file: string;
  /** Absolute byte offset of the data in the file. */
  offset: number;
  byteLength: number;
}

/** Identity of one source file, used to decide whether cached graphs are stale. */
export interface SourceFileStamp {
  file: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the safetensors header bytes (names, dtypes, shapes, offsets). */
  headerSha256: string;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface Shard {
  path: string;
  fd: number;
  size: number;
  mtimeMs: number;
  headerSha256: string;
}

function readExactly(fd: number, length: number, position: number, file: string, into?: Uint8Array): Uint8Array {
  const buf = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const chunk = Math.min(length - done, 1 << 30);
    const n = readSync(fd, buf, done, chunk, position + done);
    if (n === 0) throw new CheckpointError(`${file} is truncated: expected ${length} bytes at offset ${position}, got ${done}`, file);
    done += n;
  }
  return buf;
}

/**
 * A Hugging Face safetensors checkpoint (one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json`). Only headers are read on open; tensors are read lazily with positioned reads.
 */
export class SafetensorsCheckpoint {
  private readonly tensors = new Map<string, TensorInfo>();
  private readonly shards: Shard[] = [];
  private closed = false;

  private constructor() {}

  /** Open the checkpoint in `modelDir` (sharded if an index file exists, else `model.safetensors`). */
  static open(modelDir: string): SafetensorsCheckpoint {
    const indexFile = join(modelDir, "model.safetensors.index.json");
    const single = join(modelDir, "model.safetensors");
    const ckpt = new SafetensorsCheckpoint();
    try {
      if (existsSync(indexFile)) {
        ckpt.openSharded(modelDir, indexFile);
      } else if (existsSync(single)) {
        ckpt.openShard(single);
      } else {
        throw new CheckpointError(
          `no weights in ${modelDir}: expected model.safetensors or model.safetensors.index.json (pytorch .bin checkpoints are not supported)`,
          single,
        );
      }
    } catch (err) {
      ckpt.close();
      throw err;
    }
    return ckpt;
  }

  /** Open specific safetensors files as one checkpoint (tensor names must not repeat). */
  static openFiles(files: string[]): SafetensorsCheckpoint {
    const ckpt = new SafetensorsCheckpoint();
    try {
      for (const f of files) ckpt.openShard(f);
    } catch (err) {
      ckpt.close();
      throw err;
    }
    return ckpt;
  }

  private openSharded(modelDir: string, indexFile: string): void {
    let index: unknown;
    try {
      index = JSON.parse(readFileSync(indexFile, "utf8"));
    } catch (err) {
      throw new CheckpointError(`${indexFile} is not valid JSON: ${(err as Error).message}`, indexFile);
    }
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
      throw new CheckpointError(`${indexFile}: missing "weight_map" object`, indexFile);
    }
    const shardNames = new Set<string>();
    for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
      if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
        throw new CheckpointError(`${indexFile}: weight_map["${name}"] must be a shard file name, got ${JSON.stringify(shard)}`, indexFile);
      }
      shardNames.add(shard);
    }
    const shards = [...shardNames].sort().map((s) => join(modelDir, s));
    for (const path of shards) {
      if (!existsSync(path)) throw new CheckpointError(`shard ${path} listed in ${basename(indexFile)} is missing`, path);
    }
    for (const path of shards) this.openShard(path);
    for (const [name, shard] of Object.entries(weightMap as Record<string, string>)) {
      const info = this.tensors.get(name);
      if (!info) throw new CheckpointError(`${indexFile}: tensor ${name} is not in shard ${shard}`, indexFile);
      if (basename(info.file) !== shard) {
        throw new CheckpointError(`${indexFile}: tensor ${name} is mapped to ${shard} but found in ${basename(info.file)}`, indexFile);
      }
    }
  }

  private openShard(path: string): void {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw new CheckpointError(`cannot open ${path}: ${(err as Error).message}`, path);
    }
    const st = fstatSync(fd);
    const shard: Shard = { path, fd, size: st.size, mtimeMs: st.mtimeMs, headerSha256: "" };
    this.shards.push(shard);
    if (st.size < 8) throw new CheckpointError(`${path} is truncated or not a safetensors file (${st.size} bytes)`, path);
    const lenBuf = readExactly(fd, 8, 0, path);
    const headerLen = Number(new DataView(lenBuf.buffer, lenBuf.byteOffset, 8).getBigUint64(0, true));
    if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > st.size) {
      throw new CheckpointError(`${path} is truncated or not a safetensors file (header length ${headerLen}, file size ${st.size})`, path);
    }
    const headerBytes = readExactly(fd, headerLen, 8, path);
    shard.headerSha256 = createHash("sha256").update(headerBytes).digest("hex");
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString("utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new CheckpointError(`${path}: safetensors header is not valid JSON: ${(err as Error).message}`, path);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) {
      throw new CheckpointError(`${path}: safetensors header is not a JSON object`, path);
    }
    const dataStart = 8 + headerLen;
    const dataSize = st.size - dataStart;
    for (const [name, entry] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const bad = (why: string): never => {
        throw new CheckpointError(`${path}: tensor ${name}: ${why}`, path);
      };
      if (typeof e.dtype !== "string") bad("missing dtype");
      const dtype = e.dtype as string;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) bad("bad shape");
      if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) bad("bad data_offsets");
      const shape = e.shape as number[];
      const [begin, end] = e.data_offsets as [number, number];
      if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin) bad(`bad data_offsets [${begin}, ${end}]`);
      if (end > dataSize) {
        throw new CheckpointError(
          `${path} is truncated: tensor ${name} ends at byte ${dataStart + end} but the file has ${st.size} bytes`,
          path,
        );
      }
      if (this.tensors.has(name)) bad(`appears in more than one shard`);
      const elems = shape.reduce((a, b) => a * b, 1);
      if (isSupportedDtype(dtype) && elems * DTYPE_BYTES[dtype] !== end - begin) {
        bad(`${end - begin} bytes do not match shape [${shape.join(", ")}] of ${dtype}`);
      }
      this.tensors.set(name, {
        name,
        dtype: dtype as SafetensorsDtype,
        shape,
        file: path,
        offset: dataStart + begin,
        byteLength: end - begin,
      });
    }
  }

  private shardFor(info: TensorInfo): Shard {
    if (this.closed) throw new Error("checkpoint is closed");
    const shard = this.shards.find((s) => s.path === info.file);
    if (!shard) throw new Error(`internal: no shard for ${info.name}`);
    return shard;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Header entry of a tensor; throws a CheckpointError naming the tensor when absent. */
  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) {
      throw new CheckpointError(`tensor ${name} not found in ${this.shards.map((s) => basename(s.path)).join(", ")}`, this.shards[0]?.path);
    }
    return info;
  }

  shape(name: string): number[] {
    return this.info(name).shape;
  }

  /** Raw little-endian bytes of one tensor (positioned read). */
  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    return readExactly(this.shardFor(info).fd, info.byteLength, info.offset, info.file);
  }

  /** One tensor as float32 (converted from F16/BF16/F64 when stored so). */
  readFloat32(name: string, expectShape?: number[]): Float32Array {
    const info = this.info(name);
    if (!isSupportedDtype(info.dtype)) {
      throw new CheckpointError(`${info.file}: tensor ${name} has unsupported dtype ${info.dtype} (supported: F32, F16, BF16, F64)`, info.file);
    }
    if (expectShape && (expectShape.length !== info.shape.length || expectShape.some((d, i) => d !== info.shape[i]))) {
      throw new CheckpointError(
        `${info.file}: tensor ${name} has shape [${info.shape.join(", ")}], expected [${expectShape.join(", ")}] from config.json`,
        info.file,
      );
    }
    if (info.dtype === "F32" && new Uint8Array(new Uint16Array(1).fill(1).buffer)[0] === 1) {
      // Little-endian host: read straight into the result (no intermediate copy of a large tensor).
      const out = new Float32Array(info.byteLength / 4);
      readExactly(this.shardFor(info).fd, info.byteLength, info.offset, info.file, new Uint8Array(out.buffer));
      return out;
    }
    return toFloat32(this.readBytes(name), info.dtype);
  }

  /** Stamps of the source files (for cache invalidation). */
  stamps(): SourceFileStamp[] {
    return this.shards.map((s) => ({ file: basename(s.path), size: s.size, mtimeMs: s.mtimeMs, headerSha256: s.headerSha256 }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.shards) {
      try {
        closeSync(s.fd);
      } catch {
        /* already closed */
      }
    }
  }
}
