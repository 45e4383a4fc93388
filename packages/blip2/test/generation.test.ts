import { describe, expect, it } from "vitest";
import {
  generate,
  logSoftmax,
  MinNewTokensLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  resolveSettings,
  type GenerationSettings,
} from "../src/generation/index.js";
import { contextKey, FakeBlip2Model } from "./generation-fake-model.js";

const BOS = 1;
const EOS = 2;
const PAD = 0;

function settings(over: Partial<GenerationSettings> = {}): GenerationSettings {
  return {
    maxNewTokens: 6,
    minNewTokens: 0,
    numBeams: 1,
    lengthPenalty: 1,
    earlyStopping: false,
    repetitionPenalty: 1,
    eosTokenIds: [EOS],
    padTokenId: PAD,
    ...over,
  };
}

const imagesOf = (model: FakeBlip2Model, v: number): number[] =>
  Array.from({ length: model.dims.numQueryTokens }, (_, q) => v * 10 + q);

/** Straightforward greedy: recompute the full context every step, no cache, one item at a time. */
function referenceGreedy(model: FakeBlip2Model, image: number, text: number[], s: GenerationSettings, pads = 0): number[] {
  const out: number[] = [];
  const padIds = Array<number>(pads).fill(PAD);
  while (out.length < s.maxNewTokens) {
    const logits = Float32Array.from(model.logitsFor(imagesOf(model, image), [...text, ...out]));
    // processors see HF's input_ids, pads included
    if (s.repetitionPenalty !== 1) new RepetitionPenaltyLogitsProcessor(s.repetitionPenalty).process([...padIds, ...text, ...out], logits);
    if (out.length < s.minNewTokens) logits[EOS] = -Infinity;
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
    out.push(best);
    if (best === EOS) break;
  }
  return out;
}

/** Beam search written directly from the HF algorithm description, without cache, sorting every candidate. */
function referenceBeam(
  model: FakeBlip2Model,
  image: number,
  text: number[],
  s: GenerationSettings,
  pads = 0,
): { tokens: number[]; score: number } {
  const K = s.numBeams;
  const prompt = [...Array<number>(pads).fill(PAD), ...text];
  const L0 = prompt.length;
  const Lmax = L0 + s.maxNewTokens;
  let running = Array.from({ length: K }, () => ({ seq: [...prompt], score: 0 }));
  running.forEach((r, k) => (r.score = k === 0 ? 0 : -1e9));
  let finished: { seq: number[]; score: number }[] = [];
  let open = true;
  for (let cur = L0; cur < Lmax; cur++) {
    const all: { beam: number; tok: number; acc: number; idx: number }[] = [];
    running.forEach((r, k) => {
      const lp = logSoftmax(Float32Array.from(model.logitsFor(imagesOf(model, image), r.seq.slice(pads))));
      if (s.repetitionPenalty !== 1) new RepetitionPenaltyLogitsProcessor(s.repetitionPenalty).process(r.seq, lp);
      if (r.seq.length - L0 < s.minNewTokens) lp[EOS] = -Infinity;
      lp.forEach((v, tok) => all.push({ beam: k, tok, acc: v + r.score, idx: k * lp.length + tok }));
    });
    all.sort((a, b) => b.acc - a.acc || a.idx - b.idx);
    const top = all.slice(0, 2 * K).map((c) => ({ ...c, stop: c.tok === EOS || cur + 1 >= Lmax }));
    if (open && !(s.earlyStopping === true && finished.length === K)) {
      for (const c of top.slice(0, K)) {
        if (c.stop) finished.push({ seq: [...running[c.beam]!.seq, c.tok], score: c.acc / (cur + 1 - L0) ** s.lengthPenalty });
      }
      finished = finished.sort((a, b) => b.score - a.score).slice(0, K);
    }
    const cont = top.filter((c) => !c.stop).slice(0, K);
    running = cont.map((c) => ({ seq: [...running[c.beam]!.seq, c.tok], score: c.acc }));
    if (top.every((c) => c.stop)) break;
    const len = s.earlyStopping === "never" && s.lengthPenalty > 0 ? Lmax - L0 : cur + 1 - L0;
    const best = running[0]!.score / len ** s.lengthPenalty;
    const worst = finished.length === K ? Math.min(...finished.map((f) => f.score)) : -1e9;
    open = open && best > worst;
    if (!open || (s.earlyStopping === true && finished.length === K)) break;
  }
  return { tokens: finished[0]!.seq.slice(L0), score: finished[0]!.score };
}

describe("greedy search", () => {
  it("matches a cache-free reference for single items and a padded batch", async () => {
    const model = new FakeBlip2Model({ vocabSize: 9 });
    const texts = [[BOS], [BOS, 5, 6], [BOS, 7]];
    const images = [3, 4, 5];
    for (const s of [settings(), settings({ repetitionPenalty: 1.7 }), settings({ minNewTokens: 4, maxNewTokens: 8 })]) {
      for (let b = 0; b < 3; b++) {
        const [single] = await generate(model, { queryEmbeds: model.queryEmbeds([images[b]!]), batch: 1, textIds: [texts[b]!], settings: s });
        expect(single!.tokens).toEqual(referenceGreedy(model, images[b]!, texts[b]!, s));
      }
      const batch = await generate(model, { queryEmbeds: model.queryEmbeds(images), batch: 3, textIds: texts, settings: s });
      expect(batch.map((r) => r.tokens)).toEqual(images.map((img, b) => referenceGreedy(model, img, texts[b]!, s, 3 - texts[b]!.length)));
      // the padded rows carry pads between the query block and the text, as HF lays them out
      expect(batch[0]!.promptIds).toEqual([PAD, PAD, BOS]);
    }
  });

  it("stops rows at EOS independently and uses the cache (one token per step after the prefill)", async () => {
    const table = new Map<string, number[]>();
    const V = 6;
    const one = (tok: number): number[] => Array.from({ length: V }, (_, v) => (v === tok ? 5 : 0));
    table.set(contextKey([10, 11], [BOS]), one(EOS));
    table.set(contextKey([20, 21], [BOS]), one(4));
    table.set(contextKey([20, 21], [BOS, 4]), one(5));
    table.set(contextKey([20, 21], [BOS, 4, 5]), one(EOS));
    const model = new FakeBlip2Model({ vocabSize: V, table });
    const out = await generate(model, { queryEmbeds: model.queryEmbeds([1, 2]), batch: 2, textIds: [[BOS], [BOS]], settings: settings() });
    expect(out.map((r) => r.tokens)).toEqual([[EOS], [4, 5, EOS]]);
    expect(model.decodeCalls).toEqual([
      { batch: 2, seqLen: 3, past: 0 },
      { batch: 1, seqLen: 1, past: 3 },
      { batch: 1, seqLen: 1, past: 4 },
    ]);
  });

  it("reports raw logits of every step", async () => {
    const model = new FakeBlip2Model({ vocabSize: 7 });
    const seen: number[][] = [];
    const [r] = await generate(model, {
      queryEmbeds: model.queryEmbeds([2]),
      batch: 1,
      textIds: [[BOS]],
      settings: settings({ maxNewTokens: 3 }),
      onStepLogits: (_item, step, logits) => (seen[step] = [...logits]),
    });
    expect(seen.length).toBe(r!.tokens.length);
    expect(seen[1]).toEqual([...Float32Array.from(model.logitsFor([20, 21], [BOS, r!.tokens[0]!]))]);
  });
});

describe("beam search", () => {
  const variants: Partial<GenerationSettings>[] = [
    { numBeams: 2 },
    { numBeams: 3, lengthPenalty: 0 },
    { numBeams: 3, lengthPenalty: 2, earlyStopping: "never" },
    { numBeams: 4, earlyStopping: true },
    { numBeams: 3, lengthPenalty: -1 },
    { numBeams: 3, repetitionPenalty: 1.5, minNewTokens: 2 },
  ];

  it("matches a cache-free reference of the HF algorithm, single and batched", async () => {
    for (const eosBias of [0, 2.5]) {
      const model = new FakeBlip2Model({ vocabSize: 8 });
      // a stronger EOS makes hypotheses finish early, exercising the finished set and the early-stop heuristic
      const base = model.logitsFor.bind(model);
      model.logitsFor = (i, t) => base(i, t).map((v, k) => (k === EOS ? v + eosBias : v));
      const texts = [[BOS, 6], [BOS], [BOS, 3, 4]];
      const images = [1, 2, 3];
      for (const v of variants) {
        const s = settings({ maxNewTokens: 7, ...v });
        const expected = images.map((img, b) => referenceBeam(model, img, texts[b]!, s));
        for (let b = 0; b < 3; b++) {
          const [single] = await generate(model, { queryEmbeds: model.queryEmbeds([images[b]!]), batch: 1, textIds: [texts[b]!], settings: s });
          expect(single!.tokens, JSON.stringify({ v, b, eosBias })).toEqual(expected[b]!.tokens);
          expect(single!.score).toBeCloseTo(expected[b]!.score, 9);
        }
        // batched: prompts of different lengths are padded; each item keeps its own finished state
        const batch = await generate(model, { queryEmbeds: model.queryEmbeds(images), batch: 3, textIds: texts.map((t) => [...t]), settings: s });
        batch.forEach((r, b) => {
          const ref = referenceBeam(model, images[b]!, texts[b]!, s, 3 - texts[b]!.length);
          expect(r.tokens, JSON.stringify({ v, b, eosBias, batch: true })).toEqual(ref.tokens);
          expect(r.score).toBeCloseTo(ref.score, 9);
        });
      }
    }
  });

  it("batched beam search over equal-length prompts equals the single runs", async () => {
    const model = new FakeBlip2Model({ vocabSize: 8 });
    const images = [4, 5, 6, 7];
    for (const v of variants) {
      const s = settings({ maxNewTokens: 6, ...v });
      const singles = [];
      for (const img of images) {
        singles.push((await generate(model, { queryEmbeds: model.queryEmbeds([img]), batch: 1, textIds: [[BOS, 5]], settings: s }))[0]!);
      }
      const batch = await generate(model, { queryEmbeds: model.queryEmbeds(images), batch: images.length, textIds: images.map(() => [BOS, 5]), settings: s });
      expect(batch.map((r) => r.tokens)).toEqual(singles.map((r) => r.tokens));
    }
  });

  it("length penalty decides between a short and a long hypothesis", async () => {
    const V = 5; // 0 pad, 1 bos, 2 eos, 3 a, 4 b
    const lp = (p: Record<number, number>): number[] => Array.from({ length: V }, (_, v) => Math.log(p[v] ?? 1e-6));
    const table = new Map<string, number[]>([
      [contextKey([10, 11], [BOS]), lp({ 2: 0.5, 3: 0.3, 4: 0.2 })],
      [contextKey([10, 11], [BOS, 3]), lp({ 2: 0.9, 3: 0.05, 4: 0.05 })],
      [contextKey([10, 11], [BOS, 4]), lp({ 2: 0.4, 3: 0.3, 4: 0.3 })],
    ]);
    const model = new FakeBlip2Model({ vocabSize: V, table });
    const run = async (over: Partial<GenerationSettings>) =>
      (await generate(model, { queryEmbeds: model.queryEmbeds([1]), batch: 1, textIds: [[BOS]], settings: settings({ numBeams: 2, maxNewTokens: 2, ...over }) }))[0]!;
    // α = 1: "a EOS" has mean log-prob (ln .3 + ln .9)/2 ≈ −0.655 > ln .5 ≈ −0.693
    const mean = await run({ lengthPenalty: 1 });
    expect(mean.tokens).toEqual([3, EOS]);
    expect(mean.score).toBeCloseTo((Math.log(0.3) + Math.log(0.9)) / 2, 5);
    // α = 0: raw sums, the one-token answer wins
    const raw = await run({ lengthPenalty: 0 });
    expect(raw.tokens).toEqual([EOS]);
    expect(raw.score).toBeCloseTo(Math.log(0.5), 5);
    // one prefill of the single prompt, then one token per step for all beams through the reordered cache
    model.decodeCalls.length = 0;
    await run({ lengthPenalty: 1, maxNewTokens: 3, earlyStopping: "never" });
    expect(model.decodeCalls[0]).toEqual({ batch: 1, seqLen: 3, past: 0 });
    expect(model.decodeCalls.slice(1).every((c, i) => c.batch === 2 && c.seqLen === 1 && c.past === 3 + i)).toBe(true);
    expect(model.decodeCalls.length).toBeGreaterThan(1);
  });
});

describe("logits processors and settings", () => {
  it("min new tokens forbids EOS, repetition penalty scales seen ids by sign", () => {
    const scores = Float32Array.from([1, -1, 2, 4]);
    new MinNewTokensLogitsProcessor(2, [2]).process([9, 9, 1], scores, 2);
    expect(scores[2]).toBe(-Infinity);
    const s2 = Float32Array.from([1, -1, 2, 4]);
    new MinNewTokensLogitsProcessor(1, [2]).process([9, 9, 1], s2, 2);
    expect(s2[2]).toBe(2);
    const r = Float32Array.from([2, -2, 3]);
    new RepetitionPenaltyLogitsProcessor(2).process([0, 1, 1], r, 0);
    expect([...r]).toEqual([1, -4, 3]);
  });

  it("merges call options over generation_config defaults and rejects bad values", () => {
    const s = resolveSettings({ numBeams: 3 }, { maxNewTokens: 12, eosTokenIds: [14], padTokenId: 1 }, { eosTokenIds: [2], padTokenId: 0 });
    expect(s).toMatchObject({ numBeams: 3, maxNewTokens: 12, eosTokenIds: [14], padTokenId: 1, lengthPenalty: 1, earlyStopping: false });
    expect(resolveSettings(undefined, {}, { eosTokenIds: [2], padTokenId: 0 }).maxNewTokens).toBe(30);
    expect(() => resolveSettings({ numBeams: 0 }, {}, { eosTokenIds: [2], padTokenId: 0 })).toThrow(/numBeams/);
    expect(() => resolveSettings({ maxNewTokens: 1.5 }, {}, { eosTokenIds: [2], padTokenId: 0 })).toThrow(/maxNewTokens/);
  });

  it("refuses prompts that would run past the position table", async () => {
    const model = new FakeBlip2Model({ vocabSize: 5, maxPositionEmbeddings: 8 });
    await expect(
      generate(model, { queryEmbeds: model.queryEmbeds([1]), batch: 1, textIds: [[BOS, 3]], settings: settings({ maxNewTokens: 5 }) }),
    ).rejects.toThrow(/exceeds the model's 8 positions/);
  });
  it("puts HF's <image> placeholders into the history the processors see", async () => {
    const model = new FakeBlip2Model({ vocabSize: 9 });
    const IMG = 8;
    const s = settings({ repetitionPenalty: 3, maxNewTokens: 4 });
    const [withPlaceholders] = await generate(model, { queryEmbeds: model.queryEmbeds([3]), batch: 1, textIds: [[BOS]], settings: s, imageTokenId: IMG });
    expect(withPlaceholders!.promptIds).toEqual([IMG, IMG, BOS]);
    // the reference with the placeholder ids in the penalised history
    const out: number[] = [];
    while (out.length < s.maxNewTokens) {
      const logits = Float32Array.from(model.logitsFor([30, 31], [BOS, ...out]));
      new RepetitionPenaltyLogitsProcessor(3).process([IMG, IMG, BOS, ...out], logits);
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
      out.push(best);
      if (best === EOS) break;
    }
    expect(withPlaceholders!.tokens).toEqual(out);
  });
});
