import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBlip2Model } from "../src/model.js";
import type { Blip2Model, KVCache } from "../src/model-types.js";
import { ModelInputError } from "../src/runtime/session.js";
import { IMAGE_TOKEN, expectClose, expectedF32, expectedI64, tempDir } from "./model-helpers.js";
import { FIXTURE } from "./model-helpers.js";

const IMAGES = [0, 1, 2];
const PROMPTS = ["caption", "vqa"] as const;

let model: Blip2Model;
const cache = tempDir("blip2-model-fp32");

beforeAll(async () => {
  model = await loadBlip2Model(FIXTURE, { precision: "fp32", device: "cpu", cacheDir: cache.dir });
});

afterAll(async () => {
  await model?.dispose();
  cache.cleanup();
});

function pixels(i: number): Float32Array {
  return expectedF32(`img${i}.pixel_values`).data;
}

function positions(batch: number, from: number, len: number): BigInt64Array {
  const out = new BigInt64Array(batch * len);
  for (let b = 0; b < batch; b++) for (let s = 0; s < len; s++) out[b * len + s] = BigInt(from + s);
  return out;
}

function ones(n: number): BigInt64Array {
  return new BigInt64Array(n).fill(1n);
}

/** "Queries in front" layout: [image_features; embed(text ids)]. */
async function legacyEmbeds(img: number, prompt: (typeof PROMPTS)[number]): Promise<{ embeds: Float32Array; len: number }> {
  const feats = await model.encodeImages(pixels(img), 1);
  const ids = expectedI64(`${prompt}.text_input_ids`).data;
  const text = await model.embedTokens(ids, 1, ids.length);
  const embeds = new Float32Array(feats.length + text.length);
  embeds.set(feats, 0);
  embeds.set(text, feats.length);
  return { embeds, len: model.dims.numQueryTokens + ids.length };
}

describe("loadBlip2Model (fp32) on the tiny fixture", () => {
  it("reports dims from config.json and the safetensors header", () => {
    expect(model.dims.text.vocabSize).toBe(561);
    expect(model.dims.text.hiddenSize).toBe(48);
    expect(model.dims.text.numLayers).toBe(2);
    expect(model.dims.text.headDim).toBe(12);
    expect(model.dims.numQueryTokens).toBe(8);
    expect(model.dims.imageTokenIndex).toBe(IMAGE_TOKEN);
    expect(model.dims.text.eosTokenId).toBe(14);
    expect(model.device).toBe("cpu");
    expect(model.precision).toBe("fp32");
  });

  it.each(IMAGES)("vision, Q-Former and projection match the reference for img%i", async (i) => {
    const d = await model.encodeImagesDetailed(pixels(i), 1);
    expectClose(d.visionLastHiddenState, expectedF32(`img${i}.vision_last_hidden_state`).data, "vision_last_hidden_state");
    expectClose(d.qformerLastHiddenState, expectedF32(`img${i}.qformer_last_hidden_state`).data, "qformer_last_hidden_state");
    expectClose(d.languageProjection, expectedF32(`img${i}.language_projection`).data, "language_projection");
    expectClose(await model.encodeImages(pixels(i), 1), d.languageProjection, "encodeImages vs detailed");
  });

  it("a batch of three images equals the single runs", async () => {
    const px = new Float32Array(3 * pixels(0).length);
    IMAGES.forEach((i) => px.set(pixels(i), i * pixels(0).length));
    const d = await model.encodeImagesDetailed(px, 3);
    const n = (name: string) => expectedF32(`img0.${name}`).data.length;
    for (const i of IMAGES) {
      const slice = (a: Float32Array, name: string) => a.subarray(i * n(name), (i + 1) * n(name));
      expectClose(slice(d.visionLastHiddenState, "vision_last_hidden_state"), expectedF32(`img${i}.vision_last_hidden_state`).data, `batch row ${i} vision`);
      expectClose(slice(d.qformerLastHiddenState, "qformer_last_hidden_state"), expectedF32(`img${i}.qformer_last_hidden_state`).data, `batch row ${i} qformer`);
      expectClose(slice(d.languageProjection, "language_projection"), expectedF32(`img${i}.language_projection`).data, `batch row ${i} projection`);
    }
  });

  for (const prompt of PROMPTS) {
    it.each(IMAGES)(`first-pass ${prompt} logits match for img%i in both input layouts`, async (i) => {
      const expected = expectedF32(`img${i}.${prompt}.logits`);
      const { embeds, len } = await legacyEmbeds(i, prompt);
      const a = await model.decode({ inputsEmbeds: embeds, batch: 1, seqLen: len, attentionMask: ones(len), positionIds: positions(1, 0, len), past: null });
      expect(a.logits.length).toBe(expected.data.length);
      expectClose(a.logits, expected.data, `${prompt} logits (queries in front)`);

      // Current HF layout: <image> placeholder ids embedded, then overwritten by the query embeddings in order.
      const ids = expectedI64(`${prompt}.input_ids`).data;
      expect(ids.length).toBe(len);
      const e = await model.embedTokens(ids, 1, ids.length);
      const feats = await model.encodeImages(pixels(i), 1);
      const H = model.dims.text.hiddenSize;
      let q = 0;
      for (let s = 0; s < ids.length; s++) {
        if (ids[s] === BigInt(IMAGE_TOKEN)) e.set(feats.subarray(q * H, ++q * H), s * H);
      }
      expect(q).toBe(model.dims.numQueryTokens);
      const b = await model.decode({ inputsEmbeds: e, batch: 1, seqLen: len, attentionMask: ones(len), positionIds: positions(1, 0, len), past: null });
      expectClose(b.logits, a.logits, `${prompt} logits (<image> layout vs queries in front)`);
    });
  }

  it("greedy decoding with the KV cache reproduces the reference step logits and tokens, and equals full recomputation", async () => {
    const V = model.dims.text.vocabSize;
    const H = model.dims.text.hiddenSize;
    for (const i of IMAGES) {
      const steps = expectedF32(`img${i}.vqa.greedy.step_logits`);
      const newTokens = expectedI64(`img${i}.vqa.greedy.new_tokens`).data;
      let { embeds, len } = await legacyEmbeds(i, "vqa");
      let all = embeds;
      let past: KVCache | null = null;
      let total = 0;
      let input = embeds;
      let seqLen = len;
      for (let step = 0; step < newTokens.length; step++) {
        const out = await model.decode({
          inputsEmbeds: input,
          batch: 1,
          seqLen,
          attentionMask: ones(total + seqLen),
          positionIds: positions(1, total, seqLen),
          past,
          numLogitsToKeep: 1,
        });
        expect(out.logits.length).toBe(V);
        expectClose(out.logits, steps.data.subarray(step * V, (step + 1) * V), `img${i} step ${step} logits`);
        let best = 0;
        for (let v = 1; v < V; v++) if (out.logits[v]! > out.logits[best]!) best = v;
        expect(BigInt(best), `img${i} step ${step} token`).toBe(newTokens[step]);
        total += seqLen;
        past = out.present;
        expect(past.pastLength).toBe(total);
        input = await model.embedTokens(BigInt64Array.of(BigInt(best)), 1, 1);
        seqLen = 1;
        const grown: Float32Array = new Float32Array(all.length + H);
        grown.set(all);
        grown.set(input, all.length);
        all = grown;
      }
      // Full recomputation of the whole sequence (no cache): the last-but-one row is the last step's logits.
      len = all.length / H;
      const full = await model.decode({ inputsEmbeds: all, batch: 1, seqLen: len, attentionMask: ones(len), positionIds: positions(1, 0, len), past: null });
      const last = newTokens.length - 1;
      expectClose(full.logits.subarray((len - 2) * V, (len - 1) * V), steps.data.subarray(last * V, (last + 1) * V), `img${i} full recompute`);
    }
  });

  it("batched decode with a cache equals single-row decodes, and selectCache reorders rows", async () => {
    const len = model.dims.numQueryTokens + 1;
    const H = model.dims.text.hiddenSize;
    const rows = await Promise.all(IMAGES.map((i) => legacyEmbeds(i, "caption")));
    const embeds = new Float32Array(3 * len * H);
    rows.forEach((r, i) => embeds.set(r.embeds, i * len * H));
    const batched = await model.decode({ inputsEmbeds: embeds, batch: 3, seqLen: len, attentionMask: ones(3 * len), positionIds: positions(3, 0, len), past: null });
    const V = model.dims.text.vocabSize;
    for (const i of IMAGES) {
      expectClose(batched.logits.subarray(i * len * V, (i + 1) * len * V), expectedF32(`img${i}.caption.logits`).data, `batch row ${i} logits`);
    }
    // Reorder [2, 0] and take one more step with the same token for both rows.
    const picked = model.selectCache(batched.present, [2, 0]);
    expect(picked.batch).toBe(2);
    const tok = await model.embedTokens(BigInt64Array.of(5n, 5n), 2, 1);
    const next = await model.decode({ inputsEmbeds: tok, batch: 2, seqLen: 1, attentionMask: ones(2 * (len + 1)), positionIds: positions(2, len, 1), past: picked });
    for (const [row, img] of [[0, 2], [1, 0]] as const) {
      const single = await model.decode({
        inputsEmbeds: tok.subarray(0, H),
        batch: 1,
        seqLen: 1,
        attentionMask: ones(len + 1),
        positionIds: positions(1, len, 1),
        past: model.selectCache(batched.present, [img]),
      });
      expectClose(next.logits.subarray(row * V, (row + 1) * V), single.logits, `selected row ${row}`);
    }
  });

  it("left padding is masked: a padded row gives the same last logits as the unpadded one", async () => {
    const { embeds, len } = await legacyEmbeds(0, "caption");
    const H = model.dims.text.hiddenSize;
    const pad = 3;
    const padded = new Float32Array((len + pad) * H);
    padded.fill(0.5, 0, pad * H);
    padded.set(embeds, pad * H);
    const mask = ones(len + pad).fill(0n, 0, pad);
    const pos = new BigInt64Array(len + pad).fill(-1n);
    for (let s = 0; s < len; s++) pos[pad + s] = BigInt(s);
    const out = await model.decode({ inputsEmbeds: padded, batch: 1, seqLen: len + pad, attentionMask: mask, positionIds: pos, past: null, numLogitsToKeep: 1 });
    const V = model.dims.text.vocabSize;
    expectClose(out.logits, expectedF32("img0.caption.logits").data.subarray((len - 1) * V), "left-padded last logits");
  });

  it("rejects bad inputs with clear errors", async () => {
    const H = model.dims.text.hiddenSize;
    await expect(model.encodeImages(new Float32Array(10), 1)).rejects.toThrow(/pixelValues.*got 10 values, expected 150528/);
    await expect(model.encodeImages(pixels(0), 0)).rejects.toThrow(ModelInputError);
    await expect(model.embedTokens(BigInt64Array.of(561n), 1, 1)).rejects.toThrow(/token id 561 .*outside the vocabulary/);
    await expect(model.embedTokens(BigInt64Array.of(1n, 2n), 1, 1)).rejects.toThrow(/ids for \[1, 1\]/);
    await expect(
      model.decode({ inputsEmbeds: new Float32Array(H), batch: 1, seqLen: 1, attentionMask: ones(2), positionIds: positions(1, 0, 1), past: null }),
    ).rejects.toThrow(/attentionMask/);
    await expect(
      model.decode({ inputsEmbeds: new Float32Array(H), batch: 1, seqLen: 1, attentionMask: ones(1), positionIds: BigInt64Array.of(64n), past: null }),
    ).rejects.toThrow(/max_position_embeddings/);
    const first = await model.decode({ inputsEmbeds: new Float32Array(H), batch: 1, seqLen: 1, attentionMask: ones(1), positionIds: positions(1, 0, 1), past: null });
    await expect(
      model.decode({ inputsEmbeds: new Float32Array(2 * H), batch: 2, seqLen: 1, attentionMask: ones(4), positionIds: positions(2, 1, 1), past: first.present }),
    ).rejects.toThrow(/past cache has batch 1/);
    expect(() => model.selectCache(first.present, [1])).toThrow(/cache row 1/);
  });
});

describe("loadBlip2Model errors and reuse", () => {
  it("names the missing config.json", async () => {
    const t = tempDir("blip2-empty");
    try {
      await expect(loadBlip2Model(t.dir, { device: "cpu" })).rejects.toThrow(/config\.json not found/);
    } finally {
      t.cleanup();
    }
  });

  it("a disposed model refuses to run", async () => {
    const m = await loadBlip2Model(FIXTURE, { device: "cpu", cacheDir: cache.dir });
    await m.dispose();
    await expect(m.encodeImages(pixels(0), 1)).rejects.toThrow(/disposed/);
  });

  it("logs the chosen provider and falls back to cpu when CUDA libraries are absent", async () => {
    const messages: string[] = [];
    const m = await loadBlip2Model(FIXTURE, { device: "cuda", cacheDir: cache.dir, log: (s) => messages.push(s) });
    try {
      const { cudaProviderAvailable } = await import("../src/runtime/providers.js");
      if (cudaProviderAvailable().available) {
        expect(m.device).toBe("cuda");
      } else {
        expect(m.device).toBe("cpu");
        expect(messages.join("\n")).toMatch(/cuda requested but unavailable.*falling back to cpu/);
      }
      expect(messages.join("\n")).toMatch(new RegExp(`execution provider ${m.device}`));
      expect(messages.join("\n")).toMatch(/reusing ONNX graphs/);
    } finally {
      await m.dispose();
    }
  });

  it("webgpu without an adapter falls back to cpu with the reason logged", async () => {
    const messages: string[] = [];
    const m = await loadBlip2Model(FIXTURE, { device: "webgpu", cacheDir: cache.dir, log: (s) => messages.push(s) });
    try {
      const log = messages.join("\n");
      if (m.device === "cpu") expect(log).toMatch(/execution provider webgpu failed .*falling back to cpu/);
      else expect(m.device).toBe("webgpu");
      expect(log).toMatch(new RegExp(`loaded on execution provider ${m.device}`));
      expectClose(await m.encodeImages(pixels(0), 1), expectedF32("img0.language_projection").data, "projection after fallback");
    } finally {
      await m.dispose();
    }
  });
});
