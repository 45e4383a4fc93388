import { closeSync, openSync, writeSync } from "node:fs";
import { DTYPE_BYTES, type SafetensorsDtype } from "./dtype.js";

export interface TensorSpec {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

/**
 * Streams a safetensors file: the header is fixed from the specs up front, then each tensor's bytes are
 * written in spec order, one at a time (memory ≈ one tensor).
 */
export class SafetensorsWriter {
  private readonly fd: number;
  private next = 0;
  private readonly sizes: number[];

  constructor(
    readonly path: string,
    private readonly specs: TensorSpec[],
    metadata: Record<string, string> = { format: "pt" },
  ) {
    const header: Record<string, unknown> = { __metadata__: metadata };
    let offset = 0;
    this.sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype]);
    specs.forEach((s, i) => {
      const size = this.sizes[i]!;
      header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + size] };
      offset += size;
    });
    let json = JSON.stringify(header);
    while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
    const headerBytes = Buffer.from(json, "utf8");
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    this.fd = openSync(path, "w");
    writeSync(this.fd, len);
    writeSync(this.fd, headerBytes);
  }

  /** Name of the tensor expected next, or null when all were written. */
  get pending(): TensorSpec | null {
    return this.specs[this.next] ?? null;
  }

  write(data: ArrayBufferView): void {
    const spec = this.specs[this.next];
    if (!spec) throw new Error("all tensors already written");
    if (data.byteLength !== this.sizes[this.next]) {
      throw new Error(`tensor ${spec.name}: ${data.byteLength} bytes, expected ${this.sizes[this.next]}`);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    this.next++;
  }

  close(): void {
    if (this.next !== this.specs.length) {
      closeSync(this.fd);
      throw new Error(`safetensors writer closed after ${this.next} of ${this.specs.length} tensors`);
    }
    closeSync(this.fd);
  }
}

/** Write a whole small safetensors file at once (tests, fixtures). */
export function writeSafetensors(path: string, tensors: Array<TensorSpec & { data: ArrayBufferView }>): void {
  const w = new SafetensorsWriter(path, tensors);
  for (const t of tensors) w.write(t.data);
  w.close();
}
