import type { Blip2Dims } from "../model-types.js";
import { readBlip2Config, type Blip2Config } from "./config.js";
import { CheckpointError } from "./errors.js";
import { SafetensorsCheckpoint } from "./safetensors.js";

const V = "vision_model.";
const D = "language_model.model.decoder.";

/**
 * A BLIP-2 (OPT) checkpoint directory: the effective config plus name/shape-aware access to the weights.
 * Resolves the checkpoint variants (fused `qkv.bias` or separate `q_bias`/`v_bias`; stored or tied `lm_head`)
 * and checks every tensor the graphs need exists with the expected shape before anything is built.
 */
export class Blip2Weights {
  readonly vocabSize: number;
  readonly positionRows: number;
  readonly lmHeadStored: boolean;

  private constructor(
    readonly modelDir: string,
    readonly config: Blip2Config,
    readonly ckpt: SafetensorsCheckpoint,
  ) {
    const embed = ckpt.info(`${D}embed_tokens.weight`).shape;
    if (embed.length !== 2 || embed[1] !== config.text.hiddenSize) {
      throw new CheckpointError(
        `${D}embed_tokens.weight has shape [${embed.join(", ")}], expected [vocab, ${config.text.hiddenSize}] (text_config.hidden_size)`,
        ckpt.info(`${D}embed_tokens.weight`).file,
      );
    }
    this.vocabSize = embed[0]!;
    const pos = ckpt.info(`${D}embed_positions.weight`).shape;
    this.positionRows = pos[0] ?? 0;
    this.lmHeadStored = ckpt.has("language_model.lm_head.weight");
    this.validate();
  }

  static open(modelDir: string): Blip2Weights {
    const config = readBlip2Config(modelDir);
    const ckpt = SafetensorsCheckpoint.open(modelDir);
    try {
      return new Blip2Weights(modelDir, config, ckpt);
    } catch (err) {
      ckpt.close();
      throw err;
    }
  }

  /** The dims the runtime and the generation code see. */
  dims(): Blip2Dims {
    const t = this.config.text;
    return {
      numQueryTokens: this.config.numQueryTokens,
      imageSize: this.config.vision.imageSize,
      imageTokenIndex: this.config.imageTokenIndex,
      text: {
        vocabSize: this.vocabSize,
        hiddenSize: t.hiddenSize,
        numLayers: t.numLayers,
        numHeads: t.numHeads,
        headDim: t.hiddenSize / t.numHeads,
        maxPositionEmbeddings: Math.min(t.maxPositionEmbeddings, this.positionRows - 2),
        bosTokenId: t.bosTokenId,
        eosTokenId: t.eosTokenId,
        padTokenId: t.padTokenId,
      },
    };
  }

  get lmHeadName(): string {
    return this.lmHeadStored ? "language_model.lm_head.weight" : `${D}embed_tokens.weight`;
  }

  /** Every tensor the graphs read, with its expected shape. */
  expectedTensors(): Array<[string, number[]]> {
    const { vision: v, qformer: q, text: t, numQueryTokens } = this.config;
    const out: Array<[string, number[]]> = [];
    const add = (name: string, shape: number[]) => out.push([name, shape]);
    const grid = v.imageSize / v.patchSize;
    add(`${V}embeddings.class_embedding`, [1, 1, v.hiddenSize]);
    add(`${V}embeddings.position_embedding`, [1, grid * grid + 1, v.hiddenSize]);
    add(`${V}embeddings.patch_embedding.weight`, [v.hiddenSize, 3, v.patchSize, v.patchSize]);
    add(`${V}embeddings.patch_embedding.bias`, [v.hiddenSize]);
    for (let i = 0; i < v.numLayers; i++) {
      const p = `${V}encoder.layers.${i}.`;
      add(`${p}layer_norm1.weight`, [v.hiddenSize]);
      add(`${p}layer_norm1.bias`, [v.hiddenSize]);
      add(`${p}self_attn.qkv.weight`, [3 * v.hiddenSize, v.hiddenSize]);
      add(`${p}self_attn.projection.weight`, [v.hiddenSize, v.hiddenSize]);
      add(`${p}self_attn.projection.bias`, [v.hiddenSize]);
      add(`${p}layer_norm2.weight`, [v.hiddenSize]);
      add(`${p}layer_norm2.bias`, [v.hiddenSize]);
      add(`${p}mlp.fc1.weight`, [v.intermediateSize, v.hiddenSize]);
      add(`${p}mlp.fc1.bias`, [v.intermediateSize]);
      add(`${p}mlp.fc2.weight`, [v.hiddenSize, v.intermediateSize]);
      add(`${p}mlp.fc2.bias`, [v.hiddenSize]);
    }
    add(`${V}post_layernorm.weight`, [v.hiddenSize]);
    add(`${V}post_layernorm.bias`, [v.hiddenSize]);
    add("query_tokens", [1, numQueryTokens, q.hiddenSize]);
    add("qformer.layernorm.weight", [q.hiddenSize]);
    add("qformer.layernorm.bias", [q.hiddenSize]);
    for (let j = 0; j < q.numLayers; j++) {
      const p = `qformer.encoder.layer.${j}.`;
      for (const m of ["query", "key", "value"]) {
        add(`${p}attention.attention.${m}.weight`, [q.hiddenSize, q.hiddenSize]);
        add(`${p}attention.attention.${m}.bias`, [q.hiddenSize]);
      }
      add(`${p}attention.output.dense.weight`, [q.hiddenSize, q.hiddenSize]);
      add(`${p}attention.output.dense.bias`, [q.hiddenSize]);
      add(`${p}attention.output.LayerNorm.weight`, [q.hiddenSize]);
      add(`${p}attention.output.LayerNorm.bias`, [q.hiddenSize]);
      if (this.hasCrossAttention(j)) {
        add(`${p}crossattention.attention.query.weight`, [q.hiddenSize, q.hiddenSize]);
        add(`${p}crossattention.attention.query.bias`, [q.hiddenSize]);
        for (const m of ["key", "value"]) {
          add(`${p}crossattention.attention.${m}.weight`, [q.hiddenSize, q.encoderHiddenSize]);
          add(`${p}crossattention.attention.${m}.bias`, [q.hiddenSize]);
        }
        add(`${p}crossattention.output.dense.weight`, [q.hiddenSize, q.hiddenSize]);
        add(`${p}crossattention.output.dense.bias`, [q.hiddenSize]);
        add(`${p}crossattention.output.LayerNorm.weight`, [q.hiddenSize]);
        add(`${p}crossattention.output.LayerNorm.bias`, [q.hiddenSize]);
      }
      add(`${p}intermediate_query.dense.weight`, [q.intermediateSize, q.hiddenSize]);
      add(`${p}intermediate_query.dense.bias`, [q.intermediateSize]);
      add(`${p}output_query.dense.weight`, [q.hiddenSize, q.intermediateSize]);
      add(`${p}output_query.dense.bias`, [q.hiddenSize]);
      add(`${p}output_query.LayerNorm.weight`, [q.hiddenSize]);
      add(`${p}output_query.LayerNorm.bias`, [q.hiddenSize]);
    }
    add("language_projection.weight", [t.hiddenSize, q.hiddenSize]);
    add("language_projection.bias", [t.hiddenSize]);
    add(`${D}embed_tokens.weight`, [this.vocabSize, t.hiddenSize]);
    add(`${D}embed_positions.weight`, [this.positionRows, t.hiddenSize]);
    for (let k = 0; k < t.numLayers; k++) {
      const p = `${D}layers.${k}.`;
      for (const m of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
        add(`${p}self_attn.${m}.weight`, [t.hiddenSize, t.hiddenSize]);
        add(`${p}self_attn.${m}.bias`, [t.hiddenSize]);
      }
      add(`${p}self_attn_layer_norm.weight`, [t.hiddenSize]);
      add(`${p}self_attn_layer_norm.bias`, [t.hiddenSize]);
      add(`${p}fc1.weight`, [t.ffnDim, t.hiddenSize]);
      add(`${p}fc1.bias`, [t.ffnDim]);
      add(`${p}fc2.weight`, [t.hiddenSize, t.ffnDim]);
      add(`${p}fc2.bias`, [t.hiddenSize]);
      add(`${p}final_layer_norm.weight`, [t.hiddenSize]);
      add(`${p}final_layer_norm.bias`, [t.hiddenSize]);
    }
    add(`${D}final_layer_norm.weight`, [t.hiddenSize]);
    add(`${D}final_layer_norm.bias`, [t.hiddenSize]);
    if (this.lmHeadStored) add("language_model.lm_head.weight", [this.vocabSize, t.hiddenSize]);
    return out;
  }

  hasCrossAttention(layer: number): boolean {
    return layer % this.config.qformer.crossAttentionFrequency === 0;
  }

  private validate(): void {
    const missing: string[] = [];
    for (const [name, shape] of this.expectedTensors()) {
      if (!this.ckpt.has(name)) {
        missing.push(name);
        continue;
      }
      const info = this.ckpt.info(name);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new CheckpointError(
          `${info.file}: tensor ${name} has shape [${info.shape.join(", ")}], expected [${shape.join(", ")}] from config.json`,
          info.file,
        );
      }
    }
    if (this.config.vision.qkvBias) {
      for (let i = 0; i < this.config.vision.numLayers; i++) {
        const p = `${V}encoder.layers.${i}.self_attn.`;
        if (!this.ckpt.has(`${p}qkv.bias`) && !(this.ckpt.has(`${p}q_bias`) && this.ckpt.has(`${p}v_bias`))) {
          missing.push(`${p}qkv.bias (or ${p}q_bias + ${p}v_bias)`);
        }
      }
    }
    if (this.positionRows < 3) missing.push(`${D}embed_positions.weight (needs ≥ 3 rows)`);
    if (missing.length > 0) {
      const shown = missing.slice(0, 8).join(", ");
      throw new CheckpointError(
        `checkpoint in ${this.modelDir} lacks ${missing.length} tensor(s) needed for BLIP-2 OPT: ${shown}${missing.length > 8 ? ", …" : ""}`,
      );
    }
  }

  /** A tensor as float32, shape-checked against the expectation. */
  get(name: string): Float32Array {
    return this.ckpt.readFloat32(name);
  }

  /** Vision layer `i` qkv bias [3H] = q | k (zeros) | v, from the fused or separate encoding. */
  visionQkvBias(i: number): Float32Array {
    const h = this.config.vision.hiddenSize;
    const p = `${V}encoder.layers.${i}.self_attn.`;
    if (this.ckpt.has(`${p}qkv.bias`)) return this.ckpt.readFloat32(`${p}qkv.bias`, [3 * h]);
    const out = new Float32Array(3 * h);
    if (!this.config.vision.qkvBias) return out;
    out.set(this.ckpt.readFloat32(`${p}q_bias`, [h]), 0);
    out.set(this.ckpt.readFloat32(`${p}v_bias`, [h]), 2 * h);
    return out;
  }

  close(): void {
    this.ckpt.close();
  }
}
