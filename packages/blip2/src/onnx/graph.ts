import { closeSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { AttrType, DataType, encodeModel, type DataTypeId } from "./proto.js";

export type Dim = number | string;

/** A typed attribute value (ONNX attributes are typed; plain JS numbers are ambiguous). */
export type Attr =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] };

export const attr = {
  i: (value: number): Attr => ({ kind: "int", value }),
  f: (value: number): Attr => ({ kind: "float", value }),
  s: (value: string): Attr => ({ kind: "string", value }),
  ints: (value: number[]): Attr => ({ kind: "ints", value }),
  floats: (value: number[]): Attr => ({ kind: "floats", value }),
};

interface ExternalWeight {
  name: string;
  dataType: DataTypeId;
  dims: number[];
  /** Produces the little-endian bytes when the data file is written (one tensor in memory at a time). */
  produce: () => ArrayBufferView;
}

interface InlineConst {
  name: string;
  dataType: DataTypeId;
  dims: number[];
  bytes: Uint8Array;
}

interface NodeSpec {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

interface ValueInfo {
  name: string;
  dataType: DataTypeId;
  dims: Dim[];
}

export const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.FLOAT16]: 2,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
};

/** Tensors larger than this start at a multiple of ALIGN_LARGE (memory-mappable); others at ALIGN_SMALL. */
const ALIGN_THRESHOLD = 1 << 20;
const ALIGN_LARGE = 65536;
const ALIGN_SMALL = 64;

export interface SaveResult {
  modelFile: string;
  dataFile: string;
  modelBytes: number;
  dataBytes: number;
  tensors: number;
}

export interface GraphBuilderOptions {
  opsetDefault?: number;
  opsetMicrosoft?: number;
  irVersion?: number;
  producerVersion?: string;
}

/**
 * Builds one ONNX graph. Weights are registered with a lazy producer and streamed into one external data
 * file on save; node and value names are generated deterministically so a rebuild is byte-identical.
 */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly weights: ExternalWeight[] = [];
  private readonly consts: InlineConst[] = [];
  private readonly constCache = new Map<string, string>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(
    readonly graphName: string,
    private readonly opts: GraphBuilderOptions = {},
  ) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name ${name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh value name with the given hint. */
  fresh(hint: string): string {
    return this.claim(`${hint}_${this.counter++}`);
  }

  input(name: string, dataType: DataTypeId, dims: Dim[]): string {
    this.inputs.push({ name: this.claim(name), dataType, dims });
    return name;
  }

  /** Declare `value` as a graph output named `name` (adds an Identity when names differ). */
  output(value: string, name: string, dataType: DataTypeId, dims: Dim[]): void {
    if (value !== name) this.node("Identity", [value], { outputs: [name] });
    this.outputs.push({ name, dataType, dims });
  }

  /** A weight stored as external data, produced lazily when the graph is saved. */
  weight(name: string, dataType: DataTypeId, dims: number[], produce: () => ArrayBufferView): string {
    this.weights.push({ name: this.claim(name), dataType, dims, produce });
    return name;
  }

  private inlineConst(dataType: DataTypeId, dims: number[], bytes: Uint8Array, hint: string): string {
    const key = `${dataType}|${dims.join(",")}|${Buffer.from(bytes).toString("base64")}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(hint);
    this.consts.push({ name, dataType, dims, bytes });
    this.constCache.set(key, name);
    return name;
  }

  /** A small float32 constant stored inline. */
  constF32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    const arr = Float32Array.from(values);
    return this.inlineConst(DataType.FLOAT, dims, new Uint8Array(arr.buffer), "c_f32");
  }

  /** A small float16 constant stored inline (values given as IEEE half bits). */
  constF16Bits(bits: number[], dims: number[] = [bits.length]): string {
    const arr = Uint16Array.from(bits);
    return this.inlineConst(DataType.FLOAT16, dims, new Uint8Array(arr.buffer), "c_f16");
  }

  /** A small int64 constant stored inline. */
  constI64(values: number[], dims: number[] = [values.length]): string {
    const arr = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.inlineConst(DataType.INT64, dims, new Uint8Array(arr.buffer), "c_i64");
  }

  /** Add a node; returns its output names. */
  node(
    opType: string,
    inputs: string[],
    o: { outputs?: number | string[]; attrs?: Record<string, Attr>; domain?: string } = {},
  ): string[] {
    const outs =
      Array.isArray(o.outputs) ? o.outputs.map((n) => this.claim(n)) : Array.from({ length: o.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      domain: o.domain ?? "",
      name: `${opType}_${this.nodes.length}`,
      inputs,
      outputs: outs,
      attrs: o.attrs ?? {},
    });
    return outs;
  }

  /** Add a single-output node; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, domain = ""): string {
    return this.node(opType, inputs, { attrs, domain })[0]!;
  }

  get weightCount(): number {
    return this.weights.length;
  }

  /**
   * Write `<dir>/<fileName>` and its external data `<dir>/<fileName>.data`, streaming the weights one by one.
   * Files are written under temporary names and renamed into place.
   */
  save(dir: string, fileName: string): SaveResult {
    const dataName = `${fileName}.data`;
    const dataPath = join(dir, dataName);
    const modelPath = join(dir, fileName);
    const tmpData = `${dataPath}.tmp-${process.pid}`;
    const tmpModel = `${modelPath}.tmp-${process.pid}`;
    const fd = openSync(tmpData, "w");
    const initializers: Record<string, unknown>[] = [];
    let offset = 0;
    try {
      for (const w of this.weights) {
        const view = w.produce();
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        const expected = w.dims.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[w.dataType]!;
        // Packed 4-bit data is described in bytes by its dims (uint8), so the same check holds.
        if (bytes.byteLength !== expected) {
          throw new Error(`weight ${w.name}: produced ${bytes.byteLength} bytes, expected ${expected} for dims [${w.dims.join(", ")}]`);
        }
        const align = bytes.byteLength > ALIGN_THRESHOLD ? ALIGN_LARGE : ALIGN_SMALL;
        const padded = Math.ceil(offset / align) * align;
        if (padded > offset) {
          writeSync(fd, new Uint8Array(padded - offset), 0, padded - offset, offset);
          offset = padded;
        }
        let done = 0;
        while (done < bytes.byteLength) {
          done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), offset + done);
        }
        initializers.push({
          name: w.name,
          dataType: w.dataType,
          dims: w.dims,
          dataLocation: 1,
          externalData: [
            { key: "location", value: basename(dataName) },
            { key: "offset", value: String(offset) },
            { key: "length", value: String(bytes.byteLength) },
          ],
        });
        offset += bytes.byteLength;
      }
    } finally {
      closeSync(fd);
    }
    for (const c of this.consts) {
      initializers.push({ name: c.name, dataType: c.dataType, dims: c.dims, rawData: c.bytes });
    }
    const valueInfo = (v: ValueInfo) => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.dataType,
          shape: { dim: v.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = {
      irVersion: this.opts.irVersion ?? 10,
      producerName: "@scenecap/blip2",
      producerVersion: this.opts.producerVersion ?? "0",
      opsetImport: [
        { domain: "", version: this.opts.opsetDefault ?? 21 },
        { domain: "com.microsoft", version: this.opts.opsetMicrosoft ?? 1 },
      ],
      graph: {
        name: this.graphName,
        node: this.nodes.map((n) => ({
          input: n.inputs,
          output: n.outputs,
          name: n.name,
          opType: n.opType,
          domain: n.domain,
          attribute: Object.entries(n.attrs).map(([name, a]) => encodeAttr(name, a)),
        })),
        initializer: initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    const bytes = encodeModel(model);
    writeFileSync(tmpModel, bytes);
    renameSync(tmpData, dataPath);
    renameSync(tmpModel, modelPath);
    return { modelFile: modelPath, dataFile: dataPath, modelBytes: bytes.byteLength, dataBytes: offset, tensors: this.weights.length };
  }
}

function encodeAttr(name: string, a: Attr): Record<string, unknown> {
  switch (a.kind) {
    case "int":
      return { name, type: AttrType.INT, i: a.value };
    case "float":
      return { name, type: AttrType.FLOAT, f: a.value };
    case "string":
      return { name, type: AttrType.STRING, s: Buffer.from(a.value, "utf8") };
    case "ints":
      return { name, type: AttrType.INTS, ints: a.value };
    case "floats":
      return { name, type: AttrType.FLOATS, floats: a.value };
  }
}
