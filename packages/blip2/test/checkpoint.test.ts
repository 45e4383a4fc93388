import { copyFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseBlip2Config, readBlip2Config } from "../src/checkpoint/config.js";
import { float32ToBfloat16, float32ToFloat16, floatToHalf, halfToFloat, toFloat32 } from "../src/checkpoint/dtype.js";
import { CheckpointError } from "../src/checkpoint/errors.js";
import { SafetensorsCheckpoint } from "../src/checkpoint/safetensors.js";
import { writeSafetensors } from "../src/checkpoint/safetensors-writer.js";
import { Blip2Weights } from "../src/checkpoint/weights.js";
import { loadBlip2Model } from "../src/model.js";
import { copyFixtureConfig, expectClose, expectedF32, FIXTURE, fixtureTensors, tempDir, writeVariant, type Variant } from "./model-helpers.js";

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));
function temp(prefix: string): string {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("config.json", () => {
  it("applies the Hugging Face defaults for absent fields (blip2-opt-2.7b values)", () => {
    const cfg = parseBlip2Config({ model_type: "blip-2", text_config: { model_type: "opt", hidden_size: 2560, num_hidden_layers: 32, num_attention_heads: 32, ffn_dim: 10240, eos_token_id: 50118 } });
    expect(cfg.vision).toMatchObject({ hiddenSize: 1408, intermediateSize: 6144, numLayers: 39, numHeads: 16, imageSize: 224, patchSize: 14, layerNormEps: 1e-6, qkvBias: true });
    expect(cfg.qformer).toMatchObject({ hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072, layerNormEps: 1e-12, crossAttentionFrequency: 2, encoderHiddenSize: 1408 });
    expect(cfg.text).toMatchObject({ hiddenSize: 2560, wordEmbedProjDim: 2560, maxPositionEmbeddings: 2048, activationFunction: "relu", bosTokenId: 2, eosTokenId: 50118, padTokenId: 1, layerNormEps: 1e-5 });
    expect(cfg.numQueryTokens).toBe(32);
    expect(cfg.imageTokenIndex).toBeNull();
    expect(parseBlip2Config({ model_type: "blip-2", image_token_id: 50265 }).imageTokenIndex).toBe(50265);
  });

  it("reads the fixture's values", () => {
    const cfg = readBlip2Config(FIXTURE);
    expect(cfg.numQueryTokens).toBe(8);
    expect(cfg.imageTokenIndex).toBe(560);
    expect(cfg.vision.hiddenSize).toBe(32);
    expect(cfg.qformer.encoderHiddenSize).toBe(32);
    expect(cfg.text).toMatchObject({ hiddenSize: 48, numLayers: 2, numHeads: 4, ffnDim: 96, maxPositionEmbeddings: 64, eosTokenId: 14 });
  });

  it("rejects other architectures and bad fields, naming the file and field", () => {
    expect(() => parseBlip2Config({ model_type: "blip" }, "/m/config.json")).toThrow(/\/m\/config\.json: model_type is "blip", expected "blip-2"/);
    expect(() => parseBlip2Config({ model_type: "blip-2", text_config: { model_type: "t5" } })).toThrow(/text_config\.model_type is "t5"; only OPT/);
    expect(() => parseBlip2Config({ model_type: "blip-2", vision_config: { hidden_size: "big" } })).toThrow(/vision_config\.hidden_size must be a number/);
    expect(() => parseBlip2Config({ model_type: "blip-2", text_config: { word_embed_proj_dim: 512 } })).toThrow(/word_embed_proj_dim/);
    expect(() => parseBlip2Config({ model_type: "blip-2", text_config: { do_layer_norm_before: false } })).toThrow(/do_layer_norm_before/);
    expect(() => parseBlip2Config([1, 2])).toThrow(CheckpointError);
  });

  it("names a missing or unparsable config.json", () => {
    const dir = temp("blip2-cfg");
    expect(() => readBlip2Config(dir)).toThrow(new RegExp(`${join(dir, "config.json").replace(/[/.]/g, "\\$&")} not found`));
    writeFileSync(join(dir, "config.json"), "{ nope");
    expect(() => readBlip2Config(dir)).toThrow(/config\.json is not valid JSON/);
  });
});

describe("safetensors", () => {
  it("reads shapes from the header and tensors lazily by offset", () => {
    const ck = SafetensorsCheckpoint.open(FIXTURE);
    try {
      expect(ck.shape("language_model.model.decoder.embed_tokens.weight")).toEqual([561, 48]);
      expect(ck.shape("language_model.model.decoder.embed_positions.weight")).toEqual([66, 48]);
      expect(ck.has("language_model.lm_head.weight")).toBe(false);
      const w = ck.readFloat32("language_projection.bias");
      expect(w.length).toBe(48);
      expect(ck.stamps()[0]!.file).toBe("model.safetensors");
      expect(() => ck.info("nope")).toThrow(/tensor nope not found in model\.safetensors/);
    } finally {
      ck.close();
    }
  });

  it("converts F16 / BF16 / F64 storage to float32", () => {
    const dir = temp("blip2-dtypes");
    const values = Float32Array.from([0, 1, -2.5, 65504, 1e-7, -3.1415927, 0.1]);
    const f64 = Float64Array.from(values);
    writeSafetensors(join(dir, "model.safetensors"), [
      { name: "a", dtype: "F16", shape: [7], data: float32ToFloat16(values) },
      { name: "b", dtype: "BF16", shape: [7], data: float32ToBfloat16(values) },
      { name: "c", dtype: "F64", shape: [7], data: f64 },
      { name: "d", dtype: "F32", shape: [7], data: values },
    ]);
    const ck = SafetensorsCheckpoint.open(dir);
    try {
      const rel = (x: Float32Array, tol: number) => x.forEach((v, i) => expect(Math.abs(v - values[i]!)).toBeLessThanOrEqual(tol * Math.abs(values[i]!) + 3e-8));
      rel(ck.readFloat32("a"), 1e-3);
      rel(ck.readFloat32("b"), 8e-3);
      expect(Array.from(ck.readFloat32("c"))).toEqual(Array.from(values));
      expect(Array.from(ck.readFloat32("d"))).toEqual(Array.from(values));
    } finally {
      ck.close();
    }
  });

  it("half conversion rounds to nearest even and handles subnormals, overflow and NaN", () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to +Inf
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie → even (zero)
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie → even
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 97) expect(floatToHalf(halfToFloat(h))).toBe(h);
    expect(Array.from(toFloat32(new Uint8Array(Uint16Array.of(0x3c00, 0xc000).buffer), "F16"))).toEqual([1, -2]);
  });

  it("names a missing, truncated or corrupt weights file", () => {
    const dir = temp("blip2-bad");
    copyFixtureConfig(dir);
    expect(() => SafetensorsCheckpoint.open(dir)).toThrow(/no weights in .*model\.safetensors/);
    const file = join(dir, "model.safetensors");
    copyFileSync(join(FIXTURE, "model.safetensors"), file);
    const size = readFileSync(file).length;
    truncateSync(file, size - 100);
    expect(() => SafetensorsCheckpoint.open(dir)).toThrow(/model\.safetensors is truncated: tensor .* ends at byte/);
    truncateSync(file, 4);
    expect(() => SafetensorsCheckpoint.open(dir)).toThrow(/model\.safetensors is truncated or not a safetensors file/);
    writeFileSync(file, Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{nope")]));
    expect(() => SafetensorsCheckpoint.open(dir)).toThrow(/header is not valid JSON/);
  });

  it("opens sharded checkpoints through the index and names a missing shard", () => {
    const v = writeVariant("sharded");
    cleanups.push(v.cleanup);
    const ck = SafetensorsCheckpoint.open(v.dir);
    try {
      expect(ck.stamps().map((s) => s.file)).toEqual(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"]);
      expect(ck.names().length).toBe(fixtureTensors().length);
    } finally {
      ck.close();
    }
    truncateSync(join(v.dir, "model-00002-of-00003.safetensors"), 0);
    expect(() => SafetensorsCheckpoint.open(v.dir)).toThrow(/model-00002-of-00003\.safetensors is truncated/);
    const index = JSON.parse(readFileSync(join(v.dir, "model.safetensors.index.json"), "utf8"));
    index.weight_map["extra.weight"] = "model-00009-of-00009.safetensors";
    writeFileSync(join(v.dir, "model.safetensors.index.json"), JSON.stringify(index));
    expect(() => SafetensorsCheckpoint.open(v.dir)).toThrow(/shard .*model-00009-of-00009\.safetensors listed in model\.safetensors\.index\.json is missing/);
  });
});

describe("Blip2Weights", () => {
  it("takes the vocab from the tensor shape and notes a tied lm_head", () => {
    const w = Blip2Weights.open(FIXTURE);
    try {
      expect(w.vocabSize).toBe(561);
      expect(w.lmHeadStored).toBe(false);
      expect(w.lmHeadName).toBe("language_model.model.decoder.embed_tokens.weight");
      expect(w.dims().text.maxPositionEmbeddings).toBe(64);
    } finally {
      w.close();
    }
  });

  it("builds the fused vision qkv bias from LAVIS-style q_bias / v_bias", () => {
    const v = writeVariant("q_v_bias");
    cleanups.push(v.cleanup);
    const a = Blip2Weights.open(FIXTURE);
    const b = Blip2Weights.open(v.dir);
    try {
      expect(b.ckpt.has("vision_model.encoder.layers.0.self_attn.qkv.bias")).toBe(false);
      for (const i of [0, 1]) expect(Array.from(b.visionQkvBias(i))).toEqual(Array.from(a.visionQkvBias(i)));
    } finally {
      a.close();
      b.close();
    }
  });

  it("names missing tensors and wrong shapes", () => {
    const dir = temp("blip2-missing");
    copyFixtureConfig(dir);
    const tensors = fixtureTensors().filter((t) => t.name !== "qformer.layernorm.bias");
    writeSafetensors(join(dir, "model.safetensors"), tensors);
    expect(() => Blip2Weights.open(dir)).toThrow(/lacks 1 tensor\(s\) needed for BLIP-2 OPT: qformer\.layernorm\.bias/);
    const cfg = JSON.parse(readFileSync(join(FIXTURE, "config.json"), "utf8"));
    cfg.text_config.ffn_dim = 128;
    writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
    writeSafetensors(join(dir, "model.safetensors"), fixtureTensors());
    expect(() => Blip2Weights.open(dir)).toThrow(/fc1\.weight has shape \[96, 48\], expected \[128, 48\] from config\.json/);
  });
});

describe("checkpoint variants give the same outputs", () => {
  const variants: Variant[] = ["lm_head_stored", "q_v_bias", "sharded"];
  it.each(variants)("%s", async (variant) => {
    const v = writeVariant(variant);
    cleanups.push(v.cleanup);
    const m = await loadBlip2Model(v.dir, { device: "cpu", cacheDir: temp(`blip2-${variant}-onnx`) });
    try {
      const feats = await m.encodeImages(expectedF32("img1.pixel_values").data, 1);
      expectClose(feats, expectedF32("img1.language_projection").data, `${variant} projection`);
      const text = await m.embedTokens(BigInt64Array.of(2n), 1, 1);
      const e = new Float32Array(feats.length + text.length);
      e.set(feats);
      e.set(text, feats.length);
      const out = await m.decode({ inputsEmbeds: e, batch: 1, seqLen: 9, attentionMask: new BigInt64Array(9).fill(1n), positionIds: BigInt64Array.from({ length: 9 }, (_, i) => BigInt(i)), past: null });
      expectClose(out.logits, expectedF32("img1.caption.logits").data, `${variant} logits`);
    } finally {
      await m.dispose();
    }
  });

  it("a stored lm_head is used instead of the tied embedding", async () => {
    const v = writeVariant("lm_head_scaled");
    cleanups.push(v.cleanup);
    const m = await loadBlip2Model(v.dir, { device: "cpu", cacheDir: temp("blip2-scaled-onnx") });
    try {
      const feats = await m.encodeImages(expectedF32("img1.pixel_values").data, 1);
      const text = await m.embedTokens(BigInt64Array.of(2n), 1, 1);
      const e = new Float32Array(feats.length + text.length);
      e.set(feats);
      e.set(text, feats.length);
      const out = await m.decode({ inputsEmbeds: e, batch: 1, seqLen: 9, attentionMask: new BigInt64Array(9).fill(1n), positionIds: BigInt64Array.from({ length: 9 }, (_, i) => BigInt(i)), past: null });
      expectClose(out.logits, expectedF32("img1.caption.logits").data.map((x) => 2 * x), "2 × logits");
    } finally {
      await m.dispose();
    }
  });
});
