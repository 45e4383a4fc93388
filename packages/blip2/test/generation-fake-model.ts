import type { Blip2Dims, Blip2Model, DecodeInput, DecodeOutput, KVCache } from "../src/model-types.js";

/**
 * A small deterministic language model behind our own `Blip2Model` interface (a test double, not a mock of anything
 * external). Embeddings carry their identity: a query row is [imageValue, 1], a token row is [tokenId, 0]. The
 * "KV cache" stores those rows plus their positions, so next-token logits depend on the whole attended history —
 * a wrong cache reorder, mask or position shows up as different tokens. Logits come from a table of contexts when
 * listed there, else from a hash of the context.
 */
export interface FakeOptions {
  vocabSize: number;
  numQueryTokens?: number;
  maxPositionEmbeddings?: number;
  /** context key (`"q:<img values>|<token ids>"`) → logits */
  table?: Map<string, number[]>;
  bos?: number;
  eos?: number;
  pad?: number;
}

export function contextKey(images: number[], tokens: number[]): string {
  return `q:${images.join(",")}|${tokens.join(",")}`;
}

function hashLogits(key: string, V: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  const out: number[] = [];
  for (let v = 0; v < V; v++) {
    h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489917) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out.push(((h % 100000) / 100000) * 6 - 3);
  }
  return out;
}

export class FakeBlip2Model implements Blip2Model {
  readonly dims: Blip2Dims;
  readonly precision = "fp32" as const;
  readonly device = "cpu" as const;
  decodeCalls: { batch: number; seqLen: number; past: number }[] = [];

  constructor(private readonly opts: FakeOptions) {
    this.dims = {
      numQueryTokens: opts.numQueryTokens ?? 2,
      imageSize: 4,
      imageTokenIndex: null,
      text: {
        vocabSize: opts.vocabSize,
        hiddenSize: 2,
        numLayers: 1,
        numHeads: 1,
        headDim: 3,
        maxPositionEmbeddings: opts.maxPositionEmbeddings ?? 64,
        bosTokenId: opts.bos ?? 1,
        eosTokenId: opts.eos ?? 2,
        padTokenId: opts.pad ?? 0,
      },
    };
  }

  /** Logits for a context (what the fake "transformer" computes from the attended rows). */
  logitsFor(images: number[], tokens: number[]): number[] {
    const key = contextKey(images, tokens);
    return this.opts.table?.get(key) ?? hashLogits(key, this.opts.vocabSize);
  }

  /** Query embeddings for images identified by small integers. */
  queryEmbeds(imageValues: number[]): Float32Array {
    const Q = this.dims.numQueryTokens;
    const out = new Float32Array(imageValues.length * Q * 2);
    imageValues.forEach((v, b) => {
      for (let q = 0; q < Q; q++) {
        out[(b * Q + q) * 2] = v * 10 + q;
        out[(b * Q + q) * 2 + 1] = 1;
      }
    });
    return out;
  }

  async encodeImages(pixelValues: Float32Array, batch: number): Promise<Float32Array> {
    const per = pixelValues.length / batch;
    return this.queryEmbeds(Array.from({ length: batch }, (_, b) => Math.round(pixelValues[b * per]!)));
  }
  async encodeImagesDetailed(): Promise<never> {
    throw new Error("not part of the fake");
  }

  async embedTokens(ids: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array> {
    if (ids.length !== batch * seqLen) throw new Error("embedTokens: shape mismatch");
    const out = new Float32Array(batch * seqLen * 2);
    ids.forEach((id, i) => {
      out[i * 2] = Number(id);
      out[i * 2 + 1] = 0;
    });
    return out;
  }

  async decode(input: DecodeInput): Promise<DecodeOutput> {
    const { batch, seqLen, past, inputsEmbeds, attentionMask, positionIds } = input;
    const P = past?.pastLength ?? 0;
    const T = P + seqLen;
    if (attentionMask.length !== batch * T) throw new Error(`mask has ${attentionMask.length} entries, expected ${batch}×${T}`);
    if (past && past.batch !== batch) throw new Error(`past has batch ${past.batch}, input ${batch}`);
    this.decodeCalls.push({ batch, seqLen, past: P });
    // cache row layout per position: [embed0, embed1, position]
    const keys = new Float32Array(batch * T * 3);
    for (let b = 0; b < batch; b++) {
      if (past) keys.set(past.keys[0]!.subarray(b * P * 3, (b + 1) * P * 3), b * T * 3);
      for (let s = 0; s < seqLen; s++) {
        const o = (b * T + P + s) * 3;
        keys[o] = inputsEmbeds[(b * seqLen + s) * 2]!;
        keys[o + 1] = inputsEmbeds[(b * seqLen + s) * 2 + 1]!;
        keys[o + 2] = Number(positionIds[b * seqLen + s]!);
      }
    }
    const V = this.opts.vocabSize;
    const logits = new Float32Array(batch * seqLen * V);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < seqLen; s++) {
        const t = P + s;
        const images: number[] = [];
        const tokens: number[] = [];
        let count = 0;
        for (let j = 0; j <= t; j++) {
          if (attentionMask[b * T + j] === 0n) continue;
          const o = (b * T + j) * 3;
          if (keys[o + 2] !== count) {
            throw new Error(`row ${b} position ${j}: position id ${keys[o + 2]} but ${count} attended tokens before it`);
          }
          count++;
          if (keys[o + 1] === 1) images.push(keys[o]!);
          else tokens.push(keys[o]!);
        }
        if (attentionMask[b * T + t] === 0n) continue; // a pad position: its logits are never read
        logits.set(this.logitsFor(images, tokens), (b * seqLen + s) * V);
      }
    }
    return { logits, present: { batch, pastLength: T, keys: [keys], values: [new Float32Array(0)] } };
  }

  selectCache(cache: KVCache, rows: number[]): KVCache {
    const per = cache.pastLength * 3;
    const keys = new Float32Array(rows.length * per);
    rows.forEach((r, i) => {
      if (r < 0 || r >= cache.batch) throw new Error(`selectCache: row ${r} out of ${cache.batch}`);
      keys.set(cache.keys[0]!.subarray(r * per, (r + 1) * per), i * per);
    });
    return { batch: rows.length, pastLength: cache.pastLength, keys: [keys], values: [new Float32Array(0)] };
  }

  async dispose(): Promise<void> {}
}
