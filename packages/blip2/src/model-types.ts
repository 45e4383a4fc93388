/**
 * The seam between the ONNX side of the package (checkpoint reading, graph building, sessions) and the
 * generation side (preprocessing, tokenizer, greedy/beam search, the public captioner API).
 * Tensors cross it as flat typed arrays in row-major order with explicit dims.
 */

export type Precision = "fp32" | "fp16" | "int4" | "int8";
export type Device = "auto" | "cpu" | "cuda" | "webgpu";

/** Effective configuration values (HF defaults applied), read from config.json + safetensors headers. */
export interface Blip2Dims {
  numQueryTokens: number;
  imageSize: number;
  imageTokenIndex: number | null;
  text: {
    vocabSize: number; // from the embed_tokens tensor shape, not config
    hiddenSize: number;
    numLayers: number;
    numHeads: number;
    headDim: number;
    maxPositionEmbeddings: number;
    bosTokenId: number;
    eosTokenId: number;
    padTokenId: number;
  };
}

/** Past key/values for every decoder layer: each [B, numHeads, pastLen, headDim] float32. */
export interface KVCache {
  batch: number;
  pastLength: number;
  /** keys[layer], values[layer] */
  keys: Float32Array[];
  values: Float32Array[];
}

export interface DecodeInput {
  /** [batch, seqLen, hiddenSize] */
  inputsEmbeds: Float32Array;
  batch: number;
  seqLen: number;
  /** [batch, pastLength + seqLen]; 1 = attend, 0 = padding. */
  attentionMask: BigInt64Array;
  /** [batch, seqLen]; OPT learned positions (the offset of 2 is applied inside the graph). */
  positionIds: BigInt64Array;
  past: KVCache | null;
  /**
   * Compute logits only for the last N positions (e.g. 1 during generation: the LM head is the costliest
   * matmul of a prefill). 0 or absent = every position.
   */
  numLogitsToKeep?: number;
}

export interface DecodeOutput {
  /** [batch, seqLen, vocabSize] ([batch, numLogitsToKeep, vocabSize] when set) */
  logits: Float32Array;
  present: KVCache;
}

export interface Blip2Model {
  readonly dims: Blip2Dims;
  readonly precision: Precision;
  /** Execution provider actually in use (after fallback). */
  readonly device: Exclude<Device, "auto">;
  /** pixel values [batch, 3, S, S] → projected query embeddings [batch, numQueryTokens, text.hiddenSize]. */
  encodeImages(pixelValues: Float32Array, batch: number): Promise<Float32Array>;
  /** Intermediate outputs of the vision side, for parity checks. */
  encodeImagesDetailed(pixelValues: Float32Array, batch: number): Promise<{
    visionLastHiddenState: Float32Array; // [batch, numPatches+1, visionHidden]
    qformerLastHiddenState: Float32Array; // [batch, numQueryTokens, qformerHidden]
    languageProjection: Float32Array; // [batch, numQueryTokens, text.hiddenSize]
  }>;
  /** token ids [batch, seqLen] → embeddings [batch, seqLen, text.hiddenSize]. */
  embedTokens(ids: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array>;
  decode(input: DecodeInput): Promise<DecodeOutput>;
  /** Select rows of the cache (beam search reordering / dropping finished rows). */
  selectCache(cache: KVCache, rows: number[]): KVCache;
  dispose(): Promise<void>;
}

export interface LoadModelOptions {
  precision?: Precision; // default "fp32"
  device?: Device; // default "auto"
  /** Where built graphs are cached; default `<modelDir>/onnx/<precision>/`. */
  cacheDir?: string;
  /** Log sink for provider choice, build progress, fallbacks. */
  log?: (message: string) => void;
  /** int4/int8 builds: MatMulNBits settings. @defaultValue { blockSize: 128 (int4) or 32 (int8), symmetric: true, accuracyLevel: 4 } */
  quantization?: { blockSize?: number; symmetric?: boolean; accuracyLevel?: number };
}
