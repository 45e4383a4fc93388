import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "./errors.js";

/**
 * Effective BLIP-2 (OPT) configuration: config.json with the Hugging Face defaults applied for absent fields
 * (`Blip2VisionConfig`, `Blip2QFormerConfig`, `OPTConfig`).
 */
export interface VisionConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  imageSize: number;
  patchSize: number;
  layerNormEps: number;
  hiddenAct: string;
  qkvBias: boolean;
}

export interface QFormerConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  hiddenAct: string;
  crossAttentionFrequency: number;
  encoderHiddenSize: number;
  useQformerTextInput: boolean;
}

export interface TextConfig {
  hiddenSize: number;
  wordEmbedProjDim: number;
  numLayers: number;
  numHeads: number;
  ffnDim: number;
  maxPositionEmbeddings: number;
  doLayerNormBefore: boolean;
  removeFinalLayerNorm: boolean;
  activationFunction: string;
  enableBias: boolean;
  layerNormElementwiseAffine: boolean;
  vocabSize: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  tieWordEmbeddings: boolean;
  layerNormEps: number;
}

export interface Blip2Config {
  numQueryTokens: number;
  imageTokenIndex: number | null;
  vision: VisionConfig;
  qformer: QFormerConfig;
  text: TextConfig;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class FieldReader {
  constructor(
    private readonly obj: Json,
    private readonly prefix: string,
    private readonly file: string,
  ) {}

  num(key: string, def: number, opts: { int?: boolean; positive?: boolean } = {}): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new CheckpointError(`${this.file}: field ${this.prefix}${key} must be a number, got ${JSON.stringify(v)}`, this.file);
    }
    if (opts.int && !Number.isInteger(v)) {
      throw new CheckpointError(`${this.file}: field ${this.prefix}${key} must be an integer, got ${v}`, this.file);
    }
    if (opts.positive && v <= 0) {
      throw new CheckpointError(`${this.file}: field ${this.prefix}${key} must be positive, got ${v}`, this.file);
    }
    return v;
  }

  int(key: string, def: number): number {
    return this.num(key, def, { int: true, positive: true });
  }

  bool(key: string, def: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== "boolean") {
      throw new CheckpointError(`${this.file}: field ${this.prefix}${key} must be a boolean, got ${JSON.stringify(v)}`, this.file);
    }
    return v;
  }

  str(key: string, def: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== "string") {
      throw new CheckpointError(`${this.file}: field ${this.prefix}${key} must be a string, got ${JSON.stringify(v)}`, this.file);
    }
    return v;
  }
}

function section(root: Json, key: string, file: string): Json {
  const v = root[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new CheckpointError(`${file}: field ${key} must be an object`, file);
  return v;
}

/** Parse an already-loaded config.json object; `file` is used in error messages. */
export function parseBlip2Config(raw: unknown, file = "config.json"): Blip2Config {
  if (!isObject(raw)) throw new CheckpointError(`${file}: expected a JSON object`, file);
  const modelType = raw["model_type"];
  if (modelType !== "blip-2") {
    throw new CheckpointError(
      `${file}: model_type is ${JSON.stringify(modelType)}, expected "blip-2" (a Blip2ForConditionalGeneration checkpoint)`,
      file,
    );
  }
  const top = new FieldReader(raw, "", file);
  const visionRaw = section(raw, "vision_config", file);
  const qformerRaw = section(raw, "qformer_config", file);
  const textRaw = section(raw, "text_config", file);

  const textType = textRaw["model_type"] ?? "opt";
  if (textType !== "opt") {
    throw new CheckpointError(
      `${file}: text_config.model_type is ${JSON.stringify(textType)}; only OPT language models are supported`,
      file,
    );
  }
  if (raw["use_decoder_only_language_model"] === false) {
    throw new CheckpointError(`${file}: use_decoder_only_language_model is false; only decoder-only (OPT) checkpoints are supported`, file);
  }

  const v = new FieldReader(visionRaw, "vision_config.", file);
  const vision: VisionConfig = {
    hiddenSize: v.int("hidden_size", 1408),
    intermediateSize: v.int("intermediate_size", 6144),
    numLayers: v.int("num_hidden_layers", 39),
    numHeads: v.int("num_attention_heads", 16),
    imageSize: v.int("image_size", 224),
    patchSize: v.int("patch_size", 14),
    layerNormEps: v.num("layer_norm_eps", 1e-6, { positive: true }),
    hiddenAct: v.str("hidden_act", "gelu"),
    qkvBias: v.bool("qkv_bias", true),
  };

  const q = new FieldReader(qformerRaw, "qformer_config.", file);
  const qformer: QFormerConfig = {
    hiddenSize: q.int("hidden_size", 768),
    numLayers: q.int("num_hidden_layers", 12),
    numHeads: q.int("num_attention_heads", 12),
    intermediateSize: q.int("intermediate_size", 3072),
    layerNormEps: q.num("layer_norm_eps", 1e-12, { positive: true }),
    hiddenAct: q.str("hidden_act", "gelu"),
    crossAttentionFrequency: q.int("cross_attention_frequency", 2),
    // Blip2Config forces the Q-Former's encoder width to the vision width.
    encoderHiddenSize: vision.hiddenSize,
    useQformerTextInput: q.bool("use_qformer_text_input", false),
  };

  const t = new FieldReader(textRaw, "text_config.", file);
  const hiddenSize = t.int("hidden_size", 768);
  const text: TextConfig = {
    hiddenSize,
    wordEmbedProjDim: t.int("word_embed_proj_dim", hiddenSize),
    numLayers: t.int("num_hidden_layers", 12),
    numHeads: t.int("num_attention_heads", 12),
    ffnDim: t.int("ffn_dim", 3072),
    maxPositionEmbeddings: t.int("max_position_embeddings", 2048),
    doLayerNormBefore: t.bool("do_layer_norm_before", true),
    removeFinalLayerNorm: t.bool("_remove_final_layer_norm", false),
    activationFunction: t.str("activation_function", "relu"),
    enableBias: t.bool("enable_bias", true),
    layerNormElementwiseAffine: t.bool("layer_norm_elementwise_affine", true),
    vocabSize: t.int("vocab_size", 50272),
    bosTokenId: t.num("bos_token_id", 2, { int: true }),
    eosTokenId: t.num("eos_token_id", 2, { int: true }),
    padTokenId: t.num("pad_token_id", 1, { int: true }),
    tieWordEmbeddings: t.bool("tie_word_embeddings", top.bool("tie_word_embeddings", true)),
    layerNormEps: 1e-5,
  };

  const imageTokenRaw = raw["image_token_index"] ?? raw["image_token_id"];
  let imageTokenIndex: number | null = null;
  if (imageTokenRaw !== undefined && imageTokenRaw !== null) {
    if (typeof imageTokenRaw !== "number" || !Number.isInteger(imageTokenRaw) || imageTokenRaw < 0) {
      throw new CheckpointError(`${file}: field image_token_index must be a non-negative integer`, file);
    }
    imageTokenIndex = imageTokenRaw;
  }

  const cfg: Blip2Config = {
    numQueryTokens: top.int("num_query_tokens", 32),
    imageTokenIndex,
    vision,
    qformer,
    text,
  };
  validate(cfg, file);
  return cfg;
}

function validate(cfg: Blip2Config, file: string): void {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${file}: ${msg}`, file);
  };
  const { vision, qformer, text } = cfg;
  if (vision.hiddenSize % vision.numHeads !== 0) fail(`vision_config.hidden_size ${vision.hiddenSize} is not divisible by num_attention_heads ${vision.numHeads}`);
  if (vision.imageSize % vision.patchSize !== 0) fail(`vision_config.image_size ${vision.imageSize} is not a multiple of patch_size ${vision.patchSize}`);
  if (vision.hiddenAct !== "gelu") fail(`vision_config.hidden_act ${JSON.stringify(vision.hiddenAct)} is not supported (expected "gelu")`);
  if (qformer.hiddenSize % qformer.numHeads !== 0) fail(`qformer_config.hidden_size ${qformer.hiddenSize} is not divisible by num_attention_heads ${qformer.numHeads}`);
  if (qformer.hiddenAct !== "gelu") fail(`qformer_config.hidden_act ${JSON.stringify(qformer.hiddenAct)} is not supported (expected "gelu")`);
  if (qformer.useQformerTextInput) fail(`qformer_config.use_qformer_text_input = true is not supported`);
  if (text.hiddenSize % text.numHeads !== 0) fail(`text_config.hidden_size ${text.hiddenSize} is not divisible by num_attention_heads ${text.numHeads}`);
  if (text.wordEmbedProjDim !== text.hiddenSize) fail(`text_config.word_embed_proj_dim (${text.wordEmbedProjDim}) != hidden_size (${text.hiddenSize}): project_in/project_out variants are not supported`);
  if (!text.doLayerNormBefore) fail(`text_config.do_layer_norm_before = false (post-LN OPT) is not supported`);
  if (text.removeFinalLayerNorm) fail(`text_config._remove_final_layer_norm = true is not supported`);
  if (text.activationFunction !== "relu") fail(`text_config.activation_function ${JSON.stringify(text.activationFunction)} is not supported (expected "relu")`);
  if (!text.enableBias || !text.layerNormElementwiseAffine) fail(`text_config.enable_bias / layer_norm_elementwise_affine = false are not supported`);
}

/** Read `<modelDir>/config.json` and apply the HF defaults. */
export function readBlip2Config(modelDir: string): Blip2Config {
  const file = join(modelDir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === "ENOENT" ? `${file} not found: not a Hugging Face checkpoint directory` : `cannot read ${file}: ${(err as Error).message}`,
      file,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${file} is not valid JSON: ${(err as Error).message}`, file);
  }
  return parseBlip2Config(raw, file);
}
