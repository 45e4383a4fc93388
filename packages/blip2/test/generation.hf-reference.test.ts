import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generate, type GenerationSettings } from "../src/generation/index.js";
import { FakeBlip2Model } from "./generation-fake-model.js";

/**
 * Hugging Face `generate()` outputs (fixtures/hf-generation) for a deterministic formula language model, replayed
 * through our generation on the same formula behind the `Blip2Model` interface.
 */
interface Reference {
  generator: string;
  vocab_size: number;
  pad: number;
  bos: number;
  eos: number;
  max_new_tokens: number;
  prompts: number[][];
  cases: {
    settings: {
      eos_bias: number;
      num_beams: number;
      length_penalty: number;
      early_stopping: boolean | "never";
      repetition_penalty?: number;
      min_new_tokens?: number;
    };
    new_tokens: number[][];
    sequences_scores: number[] | null;
  }[];
}

function formulaLogits(ctx: number[], V: number, eos: number, pad: number, eosBias: number): number[] {
  let h = 0;
  ctx.forEach((t, i) => (h = (h * 31 + t * 17 + i) % 1000003));
  return Array.from({ length: V }, (_, v) => {
    if (v === pad) return -50;
    const x = 4 * Math.sin(h * 0.001 + v * 1.7 + (h % 13) * v * 0.05);
    return v === eos ? x + eosBias : x;
  });
}

describe("generation against Hugging Face generate() references", async () => {
  const ref = JSON.parse(
    await readFile(fileURLToPath(new URL("./fixtures/hf-generation/cases.json", import.meta.url)), "utf8"),
  ) as Reference;

  it(`matches every case (${ref.cases.length} settings × ${ref.prompts.length} padded prompts; ${ref.generator})`, async () => {
    expect(ref.cases.length).toBeGreaterThan(100);
    const mismatches: string[] = [];
    for (const c of ref.cases) {
      const model = new FakeBlip2Model({ vocabSize: ref.vocab_size, bos: ref.bos, eos: ref.eos, pad: ref.pad });
      // the formula sees only the attended text tokens (query rows carry no information here)
      model.logitsFor = (_images, tokens) => formulaLogits(tokens, ref.vocab_size, ref.eos, ref.pad, c.settings.eos_bias);
      const settings: GenerationSettings = {
        maxNewTokens: ref.max_new_tokens,
        minNewTokens: c.settings.min_new_tokens ?? 0,
        numBeams: c.settings.num_beams,
        lengthPenalty: c.settings.length_penalty,
        earlyStopping: c.settings.early_stopping,
        repetitionPenalty: c.settings.repetition_penalty ?? 1,
        eosTokenIds: [ref.eos],
        padTokenId: ref.pad,
      };
      const out = await generate(model, {
        queryEmbeds: model.queryEmbeds(ref.prompts.map((_, i) => i + 1)),
        batch: ref.prompts.length,
        textIds: ref.prompts,
        settings,
      });
      out.forEach((r, b) => {
        const expected = c.new_tokens[b]!;
        const same = r.tokens.length === expected.length && r.tokens.every((t, i) => t === expected[i]);
        if (!same) mismatches.push(`${JSON.stringify(c.settings)} row ${b}: got [${r.tokens}] expected [${expected}]`);
        const score = c.sequences_scores?.[b];
        if (score !== undefined && Math.abs(r.score! - score) > 1e-4 * Math.max(1, Math.abs(score))) {
          mismatches.push(`${JSON.stringify(c.settings)} row ${b}: score ${r.score} expected ${score}`);
        }
      });
    }
    expect(mismatches).toEqual([]);
  });
});
