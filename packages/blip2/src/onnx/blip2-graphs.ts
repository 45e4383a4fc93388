import type { Blip2Weights } from "../checkpoint/weights.js";
import { float32ToFloat16, floatToHalf } from "../checkpoint/dtype.js";
import { GraphBuilder, attr } from "./graph.js";
import { DataType, type DataTypeId } from "./proto.js";
import { quantizeBlockwise, transpose2d } from "./quant.js";

export type GraphPrecision = "fp32" | "fp16" | "int4" | "int8";

export interface GraphOptions {
  precision: GraphPrecision;
  /** MatMulNBits block size. @defaultValue 32 */
  blockSize?: number;
  /** Symmetric quantization (no zero points). @defaultValue true */
  symmetric?: boolean;
  /** MatMulNBits accuracy_level (4 = int8 activations on CPU). @defaultValue 4 */
  accuracyLevel?: number;
  producerVersion?: string;
}

const V = "vision_model.";
const D = "language_model.model.decoder.";

/** Shared helpers over one GraphBuilder for one precision. */
class Emitter {
  readonly g: GraphBuilder;
  /** Activation / weight float type inside the graph. */
  readonly ft: DataTypeId;

  constructor(
    name: string,
    readonly w: Blip2Weights,
    readonly opts: GraphOptions,
  ) {
    this.g = new GraphBuilder(name, { producerVersion: opts.producerVersion ?? "0" });
    this.ft = opts.precision === "fp16" ? DataType.FLOAT16 : DataType.FLOAT;
    this.fusedAttention = this.ft === DataType.FLOAT;
  }

  /**
   * Attention as com.microsoft MultiHeadAttention — float32 graphs only (the CPU kernel is float32); fp16 graphs
   * keep MatMul/Softmax/MatMul over transposed heads.
   */
  readonly fusedAttention: boolean;

  wname(source: string): string {
    return source.replace(/[^A-Za-z0-9_.]/g, "_");
  }

  /** Encode float32 values in the graph float type. */
  floatBytes(v: Float32Array): ArrayBufferView {
    return this.ft === DataType.FLOAT16 ? float32ToFloat16(v) : v;
  }

  /** A float weight in graph float type, read lazily from the checkpoint (optionally transformed). */
  tensor(source: string, dims: number[], transform?: (v: Float32Array) => Float32Array, name = this.wname(source)): string {
    return this.g.weight(name, this.ft, dims, () => {
      const v = this.w.get(source);
      return this.floatBytes(transform ? transform(v) : v);
    });
  }

  /** A float weight produced by a function. */
  computed(name: string, dims: number[], produce: () => Float32Array): string {
    return this.g.weight(name, this.ft, dims, () => this.floatBytes(produce()));
  }

  scalar(v: number): string {
    return this.ft === DataType.FLOAT16 ? this.g.constF16Bits([floatToHalf(v)], []) : this.g.constF32([v], []);
  }

  layerNorm(x: string, gamma: string, beta: string, eps: number): string {
    return this.g.op("LayerNormalization", [x, gamma, beta], { axis: attr.i(-1), epsilon: attr.f(eps), stash_type: attr.i(1) });
  }

  lnFrom(x: string, prefix: string, size: number, eps: number): string {
    return this.layerNorm(x, this.tensor(`${prefix}.weight`, [size]), this.tensor(`${prefix}.bias`, [size]), eps);
  }

  /**
   * y = x·Wᵀ + b for a weight in nn.Linear orientation [n, k]. `quantize` selects MatMulNBits when the build
   * precision is int4/int8; otherwise MatMul with the weight transposed to [k, n].
   */
  linear(
    x: string,
    name: string,
    n: number,
    k: number,
    weight: () => Float32Array,
    bias: (() => Float32Array) | null,
    quantize: boolean,
  ): string {
    const [y, b] = this.linearSplit(x, name, n, k, weight, bias, quantize);
    return b ? this.g.op("Add", [y, b]) : y;
  }

  /** Like `linear`, but returns x·Wᵀ and the bias weight separately, for an op that adds the bias itself. */
  linearSplit(
    x: string,
    name: string,
    n: number,
    k: number,
    weight: () => Float32Array,
    bias: (() => Float32Array) | null,
    quantize: boolean,
  ): [string, string | null] {
    const p = this.opts.precision;
    let y: string;
    if (quantize && (p === "int4" || p === "int8")) {
      const bits = p === "int4" ? 4 : 8;
      const bs = this.opts.blockSize ?? 32;
      const nb = Math.ceil(k / bs);
      const symmetric = this.opts.symmetric ?? true;
      // Quantize once, lazily, hand out the parts as they are written (data first), then drop the copy.
      let cached: ReturnType<typeof quantizeBlockwise> | null = null;
      let remaining = symmetric ? 2 : 3;
      const part = <T>(pick: (q: ReturnType<typeof quantizeBlockwise>) => T): T => {
        cached ??= quantizeBlockwise(weight(), n, k, { bits, blockSize: bs, symmetric });
        const out = pick(cached);
        if (--remaining === 0) cached = null;
        return out;
      };
      const qB = this.g.weight(`${name}.qweight`, DataType.UINT8, [n, nb, (bs * bits) / 8], () => part((q) => q.data));
      const qS = this.g.weight(`${name}.scales`, this.ft, [n * nb], () => part((q) => this.floatBytes(q.scales)));
      const inputs = [x, qB, qS];
      if (!symmetric) {
        inputs.push(this.g.weight(`${name}.zero_points`, DataType.UINT8, [n * Math.ceil((nb * bits) / 8)], () => part((q) => q.zeroPoints!)));
      }
      y = this.g.op(
        "MatMulNBits",
        inputs,
        {
          K: attr.i(k),
          N: attr.i(n),
          bits: attr.i(bits),
          block_size: attr.i(bs),
          accuracy_level: attr.i(this.opts.accuracyLevel ?? 4),
        },
        "com.microsoft",
      );
    } else {
      const wT = this.computed(`${name}.weight_t`, [k, n], () => transpose2d(weight(), n, k));
      y = this.g.op("MatMul", [x, wT]);
    }
    return [y, bias ? this.computed(`${name}.bias`, [n], bias) : null];
  }

  /** `linearSplit` from HF tensors `<prefix>.weight` / `<prefix>.bias`. */
  linearSplitFrom(x: string, prefix: string, n: number, k: number, quantize = false): [string, string | null] {
    return this.linearSplit(
      x,
      this.wname(prefix),
      n,
      k,
      () => this.w.get(`${prefix}.weight`),
      () => this.w.get(`${prefix}.bias`),
      quantize,
    );
  }

  /** Linear layer from HF tensors `<prefix>.weight` / `<prefix>.bias`. */
  linearFrom(x: string, prefix: string, n: number, k: number, quantize = false): string {
    return this.linear(
      x,
      this.wname(prefix),
      n,
      k,
      () => this.w.get(`${prefix}.weight`),
      () => this.w.get(`${prefix}.bias`),
      quantize,
    );
  }

  /** [B, S, heads*hd] → [B, heads, S, hd] (or [B, heads, hd, S] when `forKeyT`). */
  splitHeads(x: string, heads: number, hd: number, forKeyT = false): string {
    const r = this.g.op("Reshape", [x, this.g.constI64([0, 0, heads, hd])]);
    return this.g.op("Transpose", [r], { perm: attr.ints(forKeyT ? [0, 2, 3, 1] : [0, 2, 1, 3]) });
  }

  mergeHeads(x: string, hidden: number): string {
    const t = this.g.op("Transpose", [x], { perm: attr.ints([0, 2, 1, 3]) });
    return this.g.op("Reshape", [t, this.g.constI64([0, 0, hidden])]);
  }

  /** softmax(q·kᵀ·scale + bias)·v over BNSH tensors; kT is [B, heads, hd, Sk]. Returns [B, heads, Sq, hd]. */
  attend(qh: string, kT: string, vh: string, scale: number, bias: string | null): string {
    let s = this.g.op("MatMul", [qh, kT]);
    s = this.g.op("Mul", [s, this.scalar(scale)]);
    if (bias) s = this.g.op("Add", [s, bias]);
    const p = this.g.op("Softmax", [s], { axis: attr.i(-1) });
    return this.g.op("MatMul", [p, vh]);
  }

  /**
   * com.microsoft MultiHeadAttention over [B, S, H] query/key/value (scale 1/√headDim). Optional: `bias` [3H]
   * (q|k|v biases, added inside), `attnBias` additive [B|1, 1, S, T], `past` BNSH key/value that the new keys
   * and values are appended to. Returns [output [B, S, H]] or, with `past`, [output, present key, present value].
   */
  fusedMha(q: string, k: string, v: string, heads: number, o: { bias?: string | null; attnBias?: string; past?: [string, string] } = {}): string[] {
    const inputs = [q, k, v, o.bias ?? "", "", o.attnBias ?? ""];
    if (o.past) inputs.push(...o.past);
    while (inputs[inputs.length - 1] === "") inputs.pop();
    return this.g.node("MultiHeadAttention", inputs, { outputs: o.past ? 3 : 1, attrs: { num_heads: attr.i(heads) }, domain: "com.microsoft" });
  }

  /** Multi-head attention over [B, S, H] inputs with optional q/k/v biases (all three or none), no mask. */
  mha(q: string, k: string, v: string, heads: number, hidden: number, bias: [string | null, string | null, string | null] = [null, null, null]): string {
    const [qb, kb, vb] = bias;
    if ((qb || kb || vb) && !(qb && kb && vb)) throw new Error("mha: give all three biases or none");
    if (this.fusedAttention) {
      const packed = qb && kb && vb ? this.g.op("Concat", [qb, kb, vb], { axis: attr.i(0) }) : null;
      return this.fusedMha(q, k, v, heads, { bias: packed })[0]!;
    }
    const add = (x: string, b: string | null) => (b ? this.g.op("Add", [x, b]) : x);
    [q, k, v] = [add(q, qb), add(k, kb), add(v, vb)];
    const hd = hidden / heads;
    const o = this.attend(this.splitHeads(q, heads, hd), this.splitHeads(k, heads, hd, true), this.splitHeads(v, heads, hd), 1 / Math.sqrt(hd), null);
    return this.mergeHeads(o, hidden);
  }

  gelu(x: string): string {
    return this.g.op("Gelu", [x], { approximate: attr.s("none") });
  }

  /** [1, ...rest] tensor broadcast to [B, ...rest] with B = dim 0 of `like`. */
  expandBatch(t: string, like: string, rest: number[]): string {
    const shape = this.g.op("Shape", [like], { start: attr.i(0), end: attr.i(1) });
    const target = this.g.op("Concat", [shape, this.g.constI64(rest)], { axis: attr.i(0) });
    return this.g.op("Expand", [t, target]);
  }

  toFloat32(x: string): string {
    return this.ft === DataType.FLOAT ? x : this.g.op("Cast", [x], { to: attr.i(DataType.FLOAT) });
  }

  fromFloat32(x: string): string {
    return this.ft === DataType.FLOAT ? x : this.g.op("Cast", [x], { to: attr.i(this.ft) });
  }
}

/**
 * vision_encoder.onnx: pixel_values → ViT → post-layernorm → Q-Former (with cross-attention) → language projection.
 * Outputs image_features plus the vision and Q-Former last hidden states (for parity checks; fetch only what you need).
 */
export function buildVisionGraph(w: Blip2Weights, opts: GraphOptions): GraphBuilder {
  const e = new Emitter("blip2_vision_encoder", w, opts);
  const { g } = e;
  const { vision: v, qformer: q, text: t, numQueryTokens } = w.config;
  const grid = v.imageSize / v.patchSize;
  const nTok = grid * grid + 1;
  const H = v.hiddenSize;

  const px = g.input("pixel_values", DataType.FLOAT, ["batch_size", 3, v.imageSize, v.imageSize]);
  const pxf = e.fromFloat32(px);
  const patches = g.op("Conv", [pxf, e.tensor(`${V}embeddings.patch_embedding.weight`, [H, 3, v.patchSize, v.patchSize]), e.tensor(`${V}embeddings.patch_embedding.bias`, [H])], {
    kernel_shape: attr.ints([v.patchSize, v.patchSize]),
    strides: attr.ints([v.patchSize, v.patchSize]),
  });
  const flat = g.op("Reshape", [patches, g.constI64([0, H, grid * grid])]);
  const seq = g.op("Transpose", [flat], { perm: attr.ints([0, 2, 1]) });
  const cls = e.expandBatch(e.tensor(`${V}embeddings.class_embedding`, [1, 1, H]), px, [1, H]);
  let h = g.op("Concat", [cls, seq], { axis: attr.i(1) });
  h = g.op("Add", [h, e.tensor(`${V}embeddings.position_embedding`, [1, nTok, H])]);

  for (let i = 0; i < v.numLayers; i++) {
    const p = `${V}encoder.layers.${i}.`;
    const a = e.lnFrom(h, `${p}layer_norm1`, H, v.layerNormEps);
    // Packed q|k|v projection; fused attention adds the packed bias itself.
    const [qkvW, qkvBias] = e.linearSplit(a, e.wname(`${p}self_attn.qkv`), 3 * H, H, () => w.get(`${p}self_attn.qkv.weight`), () => w.visionQkvBias(i), false);
    const qkv = e.fusedAttention ? qkvW : g.op("Add", [qkvW, qkvBias!]);
    const [qq, kk, vv] = g.node("Split", [qkv], { outputs: 3, attrs: { axis: attr.i(-1), num_outputs: attr.i(3) } }) as [string, string, string];
    const o = e.fusedAttention ? e.fusedMha(qq, kk, vv, v.numHeads, { bias: qkvBias })[0]! : e.mha(qq, kk, vv, v.numHeads, H);
    h = g.op("Add", [h, e.linearFrom(o, `${p}self_attn.projection`, H, H)]);
    const m = e.lnFrom(h, `${p}layer_norm2`, H, v.layerNormEps);
    const f = e.gelu(e.linearFrom(m, `${p}mlp.fc1`, v.intermediateSize, H));
    h = g.op("Add", [h, e.linearFrom(f, `${p}mlp.fc2`, H, v.intermediateSize)]);
  }
  const img = e.lnFrom(h, `${V}post_layernorm`, H, v.layerNormEps);

  // Q-Former over the learned queries, cross-attending to all image tokens (class token included).
  const Hq = q.hiddenSize;
  let x = e.expandBatch(e.tensor("query_tokens", [1, numQueryTokens, Hq]), px, [numQueryTokens, Hq]);
  x = e.lnFrom(x, "qformer.layernorm", Hq, q.layerNormEps);
  for (let j = 0; j < q.numLayers; j++) {
    const p = `qformer.encoder.layer.${j}.`;
    const [sq, sqBias] = e.linearSplitFrom(x, `${p}attention.attention.query`, Hq, Hq);
    const [sk, skBias] = e.linearSplitFrom(x, `${p}attention.attention.key`, Hq, Hq);
    const [sv, svBias] = e.linearSplitFrom(x, `${p}attention.attention.value`, Hq, Hq);
    const sa = e.mha(sq, sk, sv, q.numHeads, Hq, [sqBias, skBias, svBias]);
    x = e.lnFrom(g.op("Add", [e.linearFrom(sa, `${p}attention.output.dense`, Hq, Hq), x]), `${p}attention.output.LayerNorm`, Hq, q.layerNormEps);
    if (w.hasCrossAttention(j)) {
      const [cq, cqBias] = e.linearSplitFrom(x, `${p}crossattention.attention.query`, Hq, Hq);
      const [ck, ckBias] = e.linearSplitFrom(img, `${p}crossattention.attention.key`, Hq, q.encoderHiddenSize);
      const [cv, cvBias] = e.linearSplitFrom(img, `${p}crossattention.attention.value`, Hq, q.encoderHiddenSize);
      const ca = e.mha(cq, ck, cv, q.numHeads, Hq, [cqBias, ckBias, cvBias]);
      x = e.lnFrom(g.op("Add", [e.linearFrom(ca, `${p}crossattention.output.dense`, Hq, Hq), x]), `${p}crossattention.output.LayerNorm`, Hq, q.layerNormEps);
    }
    const f = e.gelu(e.linearFrom(x, `${p}intermediate_query.dense`, q.intermediateSize, Hq));
    x = e.lnFrom(g.op("Add", [e.linearFrom(f, `${p}output_query.dense`, Hq, q.intermediateSize), x]), `${p}output_query.LayerNorm`, Hq, q.layerNormEps);
  }
  const proj = e.linearFrom(x, "language_projection", t.hiddenSize, Hq);

  g.output(e.toFloat32(proj), "image_features", DataType.FLOAT, ["batch_size", numQueryTokens, t.hiddenSize]);
  g.output(e.toFloat32(img), "vision_last_hidden_state", DataType.FLOAT, ["batch_size", nTok, H]);
  g.output(e.toFloat32(x), "qformer_last_hidden_state", DataType.FLOAT, ["batch_size", numQueryTokens, Hq]);
  return g;
}

/** embed_tokens.onnx: input_ids [B, S] → inputs_embeds [B, S, H] (float32 out). */
export function buildEmbedGraph(w: Blip2Weights, opts: GraphOptions): GraphBuilder {
  const e = new Emitter("blip2_embed_tokens", w, opts);
  const { g } = e;
  const H = w.config.text.hiddenSize;
  const ids = g.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  const table = e.tensor(`${D}embed_tokens.weight`, [w.vocabSize, H]);
  const out = g.op("Gather", [table, ids], { axis: attr.i(0) });
  g.output(e.toFloat32(out), "inputs_embeds", DataType.FLOAT, ["batch_size", "sequence_length", H]);
  return g;
}

/**
 * decoder_model_merged.onnx: OPT with KV cache. One graph for prefill (past length 0) and decode steps.
 * Inputs: inputs_embeds, attention_mask [B, P+S], position_ids [B, S], past_key_values.{i}.key/value [B, h, P, d],
 * num_logits_to_keep ([1] int64; 0 = all positions). Outputs: logits [B, kept, V], present.{i}.key/value.
 */
export function buildDecoderGraph(w: Blip2Weights, opts: GraphOptions): GraphBuilder {
  const e = new Emitter("blip2_opt_decoder", w, opts);
  const { g } = e;
  const t = w.config.text;
  const H = t.hiddenSize;
  const heads = t.numHeads;
  const hd = H / heads;
  const eps = t.layerNormEps;
  const quant = opts.precision === "int4" || opts.precision === "int8";

  const embeds = g.input("inputs_embeds", DataType.FLOAT, ["batch_size", "sequence_length", H]);
  const mask = g.input("attention_mask", DataType.INT64, ["batch_size", "total_sequence_length"]);
  const posIds = g.input("position_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  const pastK: string[] = [];
  const pastV: string[] = [];
  for (let k = 0; k < t.numLayers; k++) {
    pastK.push(g.input(`past_key_values.${k}.key`, e.ft, ["batch_size", heads, "past_sequence_length", hd]));
    pastV.push(g.input(`past_key_values.${k}.value`, e.ft, ["batch_size", heads, "past_sequence_length", hd]));
  }
  const keep = g.input("num_logits_to_keep", DataType.INT64, [1]);

  // Learned positions (fairseq offset 2).
  const pos = g.op("Gather", [e.tensor(`${D}embed_positions.weight`, [w.positionRows, H]), g.op("Add", [posIds, g.constI64([2], [])])], { axis: attr.i(0) });
  let h = g.op("Add", [e.fromFloat32(embeds), pos]);

  // Additive mask [B, 1, S, T]: causal over absolute positions (past first) and key padding.
  const tLen = g.op("Shape", [mask], { start: attr.i(1), end: attr.i(2) });
  const sLen = g.op("Shape", [embeds], { start: attr.i(1), end: attr.i(2) });
  const tScalar = g.op("Squeeze", [tLen, g.constI64([0])]);
  const pScalar = g.op("Squeeze", [g.op("Sub", [tLen, sLen]), g.constI64([0])]);
  const kIdx = g.op("Range", [g.constI64([0], []), tScalar, g.constI64([1], [])]);
  const qIdx = g.op("Range", [pScalar, tScalar, g.constI64([1], [])]);
  const causal = g.op("LessOrEqual", [g.op("Unsqueeze", [kIdx, g.constI64([0])]), g.op("Unsqueeze", [qIdx, g.constI64([1])])]);
  const keyOk = g.op("Cast", [g.op("Unsqueeze", [mask, g.constI64([1, 2])])], { to: attr.i(DataType.BOOL) });
  const allowed = g.op("And", [causal, keyOk]);
  const minVal = e.ft === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;
  const maskBias = g.op("Where", [allowed, e.scalar(0), e.scalar(minVal)]);

  const scale = 1 / Math.sqrt(hd);
  for (let k = 0; k < t.numLayers; k++) {
    const p = `${D}layers.${k}.`;
    const a = e.lnFrom(h, `${p}self_attn_layer_norm`, H, eps);
    // Packed q|k|v projection.
    const [qkvW, qkvBias] = e.linearSplit(
      a,
      `${D}layers.${k}.self_attn.qkv_proj`,
      3 * H,
      H,
      () => {
        const out = new Float32Array(3 * H * H);
        out.set(w.get(`${p}self_attn.q_proj.weight`), 0);
        out.set(w.get(`${p}self_attn.k_proj.weight`), H * H);
        out.set(w.get(`${p}self_attn.v_proj.weight`), 2 * H * H);
        return out;
      },
      () => {
        const out = new Float32Array(3 * H);
        out.set(w.get(`${p}self_attn.q_proj.bias`), 0);
        out.set(w.get(`${p}self_attn.k_proj.bias`), H);
        out.set(w.get(`${p}self_attn.v_proj.bias`), 2 * H);
        return out;
      },
      quant,
    );
    let o: string;
    let presentK: string;
    let presentV: string;
    if (e.fusedAttention) {
      // MultiHeadAttention adds the packed bias, appends the new keys/values to the BNSH past (present keeps the
      // [B, heads, P+S, d] layout) and adds maskBias to the scaled scores.
      const [qq, kk, vv] = g.node("Split", [qkvW], { outputs: 3, attrs: { axis: attr.i(-1), num_outputs: attr.i(3) } }) as [string, string, string];
      [o, presentK, presentV] = e.fusedMha(qq, kk, vv, heads, { bias: qkvBias, attnBias: maskBias, past: [pastK[k]!, pastV[k]!] }) as [string, string, string];
    } else {
      const qkv = g.op("Add", [qkvW, qkvBias!]);
      const [qq, kk, vv] = g.node("Split", [qkv], { outputs: 3, attrs: { axis: attr.i(-1), num_outputs: attr.i(3) } }) as [string, string, string];
      presentK = g.op("Concat", [pastK[k]!, e.splitHeads(kk, heads, hd)], { axis: attr.i(2) });
      presentV = g.op("Concat", [pastV[k]!, e.splitHeads(vv, heads, hd)], { axis: attr.i(2) });
      const kT = g.op("Transpose", [presentK], { perm: attr.ints([0, 1, 3, 2]) });
      o = e.mergeHeads(e.attend(e.splitHeads(qq, heads, hd), kT, presentV, scale, maskBias), H);
    }
    g.output(presentK, `present.${k}.key`, e.ft, ["batch_size", heads, "total_sequence_length", hd]);
    g.output(presentV, `present.${k}.value`, e.ft, ["batch_size", heads, "total_sequence_length", hd]);
    h = g.op("Add", [h, e.linearFrom(o, `${p}self_attn.out_proj`, H, H, quant)]);
    const f = e.lnFrom(h, `${p}final_layer_norm`, H, eps);
    const r = g.op("Relu", [e.linearFrom(f, `${p}fc1`, t.ffnDim, H, quant)]);
    h = g.op("Add", [h, e.linearFrom(r, `${p}fc2`, H, t.ffnDim, quant)]);
  }
  h = e.lnFrom(h, `${D}final_layer_norm`, H, eps);

  // Keep the last `num_logits_to_keep` positions (0 → all): Slice(h, -keep, +inf, axis 1).
  const kept = g.op("Slice", [h, g.op("Neg", [keep]), g.constI64([Number.MAX_SAFE_INTEGER]), g.constI64([1])]);
  let logits: string;
  const V = w.vocabSize;
  if (quant) {
    logits = e.linear(kept, "lm_head", V, H, () => w.get(w.lmHeadName), null, true);
  } else {
    // Gemm with transB keeps the [V, H] table as stored (no transposed copy at build time).
    const flat = g.op("Reshape", [kept, g.constI64([-1, H])]);
    const table = w.lmHeadStored ? e.tensor("language_model.lm_head.weight", [V, H]) : e.tensor(`${D}embed_tokens.weight`, [V, H], undefined, "lm_head.weight");
    const mm = g.op("Gemm", [flat, table], { transB: attr.i(1) });
    const outShape = g.op("Concat", [g.op("Shape", [kept], { start: attr.i(0), end: attr.i(2) }), g.constI64([V])], { axis: attr.i(0) });
    logits = g.op("Reshape", [mm, outShape]);
  }
  g.output(e.toFloat32(logits), "logits", DataType.FLOAT, ["batch_size", "logits_length", V]);
  return g;
}
