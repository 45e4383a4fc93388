import * as ort from "onnxruntime-node";
import { float32ToFloat16, toFloat32 } from "../checkpoint/dtype.js";
import type { Blip2Dims, Blip2Model, DecodeInput, DecodeOutput, KVCache, Precision } from "../model-types.js";
import { resolveDevice, type ConcreteDevice } from "./providers.js";
import { GraphSession, ModelInputError } from "./session.js";

export interface Blip2GraphFiles {
  vision: string;
  embed: string;
  decoder: string;
}

export interface VisionDims {
  /** Tokens out of the vision tower (patches + class token). */
  numTokens: number;
  hiddenSize: number;
  qformerHiddenSize: number;
}

function assertCount(what: string, got: number, expected: number): void {
  if (got !== expected) throw new ModelInputError(`${what}: got ${got} values, expected ${expected}`);
}

function assertPositiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new ModelInputError(`${what} must be a positive integer, got ${v}`);
}

/** `Blip2Model` on three ONNX Runtime sessions (vision encoder, token embedding, OPT decoder with KV cache). */
export class OnnxBlip2Model implements Blip2Model {
  private disposed = false;

  private constructor(
    readonly dims: Blip2Dims,
    readonly visionDims: VisionDims,
    readonly precision: Precision,
    readonly device: ConcreteDevice,
    private readonly vision: GraphSession,
    private readonly embed: GraphSession,
    private readonly decoder: GraphSession,
  ) {}

  /**
   * Open sessions on built graph files. The requested device falls back to CPU (with the reason logged) when
   * its provider is missing or fails to create a session; the chosen provider is logged.
   */
  static async open(
    files: Blip2GraphFiles,
    dims: Blip2Dims,
    visionDims: VisionDims,
    precision: Precision,
    requested: "auto" | ConcreteDevice,
    log: (m: string) => void,
  ): Promise<OnnxBlip2Model> {
    let device = resolveDevice(requested, log);
    const openAll = async (d: ConcreteDevice) => {
      const opened: GraphSession[] = [];
      try {
        for (const f of [files.vision, files.embed, files.decoder]) opened.push(await GraphSession.create(f, d));
        return opened as [GraphSession, GraphSession, GraphSession];
      } catch (err) {
        await Promise.all(opened.map((s) => s.release()));
        throw err;
      }
    };
    let sessions: [GraphSession, GraphSession, GraphSession];
    try {
      sessions = await openAll(device);
    } catch (err) {
      if (device === "cpu") throw err;
      log(`execution provider ${device} failed (${(err as Error).message.split("\n")[0]}); falling back to cpu`);
      device = "cpu";
      sessions = await openAll(device);
    }
    log(`BLIP-2 ${precision} graphs loaded on execution provider ${device}`);
    return new OnnxBlip2Model(dims, visionDims, precision, device, ...sessions);
  }

  private get float16Io(): boolean {
    return this.precision === "fp16";
  }

  private check(): void {
    if (this.disposed) throw new Error("model is disposed");
  }

  private pixelTensor(pixelValues: Float32Array, batch: number): ort.Tensor {
    this.check();
    assertPositiveInt("batch", batch);
    const s = this.dims.imageSize;
    if (!(pixelValues instanceof Float32Array)) throw new ModelInputError("pixelValues must be a Float32Array");
    assertCount(`pixelValues for batch ${batch} of [3, ${s}, ${s}]`, pixelValues.length, batch * 3 * s * s);
    return new ort.Tensor("float32", pixelValues, [batch, 3, s, s]);
  }

  async encodeImages(pixelValues: Float32Array, batch: number): Promise<Float32Array> {
    const out = await this.vision.run({ pixel_values: this.pixelTensor(pixelValues, batch) }, ["image_features"]);
    return out["image_features"]!.data as Float32Array;
  }

  async encodeImagesDetailed(pixelValues: Float32Array, batch: number) {
    const out = await this.vision.run({ pixel_values: this.pixelTensor(pixelValues, batch) });
    return {
      visionLastHiddenState: out["vision_last_hidden_state"]!.data as Float32Array,
      qformerLastHiddenState: out["qformer_last_hidden_state"]!.data as Float32Array,
      languageProjection: out["image_features"]!.data as Float32Array,
    };
  }

  async embedTokens(ids: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array> {
    this.check();
    assertPositiveInt("batch", batch);
    assertPositiveInt("seqLen", seqLen);
    if (!(ids instanceof BigInt64Array)) throw new ModelInputError("ids must be a BigInt64Array");
    assertCount(`ids for [${batch}, ${seqLen}]`, ids.length, batch * seqLen);
    const vocab = BigInt(this.dims.text.vocabSize);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id < 0n || id >= vocab) throw new ModelInputError(`token id ${id} at index ${i} is outside the vocabulary [0, ${vocab})`);
    }
    const out = await this.embed.run({ input_ids: new ort.Tensor("int64", ids, [batch, seqLen]) });
    return out["inputs_embeds"]!.data as Float32Array;
  }

  private kvTensor(data: Float32Array, dims: number[]): ort.Tensor {
    return this.float16Io ? new ort.Tensor("float16", float32ToFloat16(data), dims) : new ort.Tensor("float32", data, dims);
  }

  private kvData(t: ort.Tensor): Float32Array {
    if (t.type === "float16") {
      const d = t.data as Uint16Array;
      return toFloat32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), "F16");
    }
    return t.data as Float32Array;
  }

  async decode(input: DecodeInput): Promise<DecodeOutput> {
    this.check();
    const { batch, seqLen, past } = input;
    const t = this.dims.text;
    assertPositiveInt("batch", batch);
    assertPositiveInt("seqLen", seqLen);
    const pastLen = past ? past.pastLength : 0;
    assertCount(`inputsEmbeds for [${batch}, ${seqLen}, ${t.hiddenSize}]`, input.inputsEmbeds.length, batch * seqLen * t.hiddenSize);
    assertCount(`attentionMask for [${batch}, ${pastLen + seqLen}] (past ${pastLen} + new ${seqLen})`, input.attentionMask.length, batch * (pastLen + seqLen));
    assertCount(`positionIds for [${batch}, ${seqLen}]`, input.positionIds.length, batch * seqLen);
    const maxPos = BigInt(t.maxPositionEmbeddings);
    for (let i = 0; i < input.positionIds.length; i++) {
      const p = input.positionIds[i]!;
      if (p < -1n || p >= maxPos) {
        throw new ModelInputError(`position id ${p} is outside [-1, ${maxPos}) (the sequence exceeds max_position_embeddings)`);
      }
    }
    const headDim = t.headDim;
    const perRow = t.numHeads * pastLen * headDim;
    if (past) {
      if (past.batch !== batch) throw new ModelInputError(`past cache has batch ${past.batch}, input has batch ${batch}`);
      if (past.keys.length !== t.numLayers || past.values.length !== t.numLayers) {
        throw new ModelInputError(`past cache has ${past.keys.length} layers, the decoder has ${t.numLayers}`);
      }
      for (let k = 0; k < t.numLayers; k++) {
        assertCount(`past key of layer ${k}`, past.keys[k]!.length, batch * perRow);
        assertCount(`past value of layer ${k}`, past.values[k]!.length, batch * perRow);
      }
    }
    const keep = input.numLogitsToKeep ?? 0;
    if (!Number.isInteger(keep) || keep < 0) throw new ModelInputError(`numLogitsToKeep must be a non-negative integer, got ${keep}`);

    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor("float32", input.inputsEmbeds, [batch, seqLen, t.hiddenSize]),
      attention_mask: new ort.Tensor("int64", input.attentionMask, [batch, pastLen + seqLen]),
      position_ids: new ort.Tensor("int64", input.positionIds, [batch, seqLen]),
      num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), [1]),
    };
    const kvDims = [batch, t.numHeads, pastLen, headDim];
    const empty = new Float32Array(0);
    for (let k = 0; k < t.numLayers; k++) {
      feeds[`past_key_values.${k}.key`] = this.kvTensor(past ? past.keys[k]! : empty, kvDims);
      feeds[`past_key_values.${k}.value`] = this.kvTensor(past ? past.values[k]! : empty, kvDims);
    }
    const out = await this.decoder.run(feeds);
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    for (let k = 0; k < t.numLayers; k++) {
      keys.push(this.kvData(out[`present.${k}.key`]!));
      values.push(this.kvData(out[`present.${k}.value`]!));
    }
    return { logits: out["logits"]!.data as Float32Array, present: { batch, pastLength: pastLen + seqLen, keys, values } };
  }

  selectCache(cache: KVCache, rows: number[]): KVCache {
    const t = this.dims.text;
    const perRow = t.numHeads * cache.pastLength * t.headDim;
    for (const r of rows) {
      if (!Number.isInteger(r) || r < 0 || r >= cache.batch) throw new ModelInputError(`cache row ${r} is outside [0, ${cache.batch})`);
    }
    const pick = (src: Float32Array) => {
      const out = new Float32Array(rows.length * perRow);
      rows.forEach((r, i) => out.set(src.subarray(r * perRow, (r + 1) * perRow), i * perRow));
      return out;
    };
    return { batch: rows.length, pastLength: cache.pastLength, keys: cache.keys.map(pick), values: cache.values.map(pick) };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([this.vision.release(), this.embed.release(), this.decoder.release()]);
  }
}
