import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyFixture, type VerifyCheck } from "../src/cli/verify.js";
import { generate, prefill } from "../src/generation/index.js";
import { loadBlip2Model } from "../src/model.js";
import type { Blip2Model } from "../src/model-types.js";
import { preprocessImages } from "../src/preprocess/index.js";
import { loadTokenizer } from "../src/tokenizer.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));

interface Manifest {
  images: { file: string }[];
  prompts: Record<string, { text: string | null }>;
  special_ids: { image_token_index: number; eos_token_id: number; pad_token_id: number };
  tensors: { name: string; file: string; shape: number[] }[];
}

/** Parity of generation on the real tiny checkpoint against the reference outputs. */
describe("generation parity on the tiny checkpoint", () => {
  let tmp = "";
  let model: Blip2Model;
  let manifest: Manifest;
  const readI64 = async (name: string): Promise<number[]> => {
    const t = manifest.tensors.find((x) => x.name === name)!;
    const buf = await readFile(path.join(fixture, t.file));
    return [...new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))].map(Number);
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "blip2-parity-"));
    manifest = JSON.parse(await readFile(path.join(fixture, "expected/manifest.json"), "utf8")) as Manifest;
    model = await loadBlip2Model(fixture, { cacheDir: path.join(tmp, "fp32"), device: "cpu" });
  });
  afterAll(async () => {
    await model?.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it("passes every check of the manifest (tokens exact, floats within tolerance, texts equal)", async () => {
    const checks: VerifyCheck[] = await verifyFixture(fixture, { model });
    const failed = checks.filter((c) => !c.ok);
    expect(failed, failed.map((c) => `${c.name}: ${c.detail}`).join("\n")).toEqual([]);
    // every tensor of the manifest was checked
    for (const t of manifest.tensors) expect(checks.some((c) => c.name === t.name), t.name).toBe(true);
  });

  it("reproduces greedy sequences including the <image> placeholders, padded batch rows as HF pads them", async () => {
    const tok = await loadTokenizer(fixture);
    const bytes = await Promise.all(manifest.images.map((i) => readFile(path.join(fixture, i.file))));
    const { pixelValues, batch } = await preprocessImages(bytes);
    const q = await model.encodeImages(pixelValues, batch);
    const ids = tok.encode(manifest.prompts.vqa!.text!);
    const res = await generate(model, {
      queryEmbeds: q,
      batch,
      textIds: Array.from({ length: batch }, () => ids),
      settings: {
        maxNewTokens: 12,
        minNewTokens: 0,
        numBeams: 1,
        lengthPenalty: 1,
        earlyStopping: false,
        repetitionPenalty: 1,
        eosTokenIds: [manifest.special_ids.eos_token_id],
        padTokenId: manifest.special_ids.pad_token_id,
      },
      imageTokenId: manifest.special_ids.image_token_index,
    });
    const expected = await readI64("batch.vqa.greedy.sequences");
    const width = manifest.tensors.find((t) => t.name === "batch.vqa.greedy.sequences")!.shape[1]!;
    const got = res.flatMap((r) => {
      const row = [...r.promptIds, ...r.tokens];
      return [...row, ...Array<number>(width - row.length).fill(manifest.special_ids.pad_token_id)];
    });
    expect(got).toEqual(expected);
  });

  it("gives the same last-position logits whether the prompts of a batch are padded or not", async () => {
    const tok = await loadTokenizer(fixture);
    const bytes = await Promise.all(manifest.images.slice(0, 2).map((i) => readFile(path.join(fixture, i.file))));
    const { pixelValues } = await preprocessImages(bytes);
    const q = await model.encodeImages(pixelValues, 2);
    const short = tok.encode("");
    const long = tok.encode(manifest.prompts.vqa!.text!);
    const padded = await prefill(model, q, 2, [short, long], manifest.special_ids.pad_token_id, { lastLogitsOnly: true });
    const H = model.dims.text.hiddenSize * model.dims.numQueryTokens;
    const alone = await prefill(model, q.subarray(0, H), 1, [short], manifest.special_ids.pad_token_id, { lastLogitsOnly: true });
    const V = model.dims.text.vocabSize;
    let maxErr = 0;
    for (let v = 0; v < V; v++) maxErr = Math.max(maxErr, Math.abs(padded.logits[v]! - alone.logits[v]!));
    expect(maxErr).toBeLessThan(1e-4);
  });
  it("generates the same tokens for prompts of different lengths in one batch as alone (greedy and beam)", async () => {
    const tok = await loadTokenizer(fixture);
    const bytes = await Promise.all(manifest.images.map((i) => readFile(path.join(fixture, i.file))));
    const { pixelValues, batch } = await preprocessImages(bytes);
    const q = await model.encodeImages(pixelValues, batch);
    const prompts = [tok.encode(""), tok.encode(manifest.prompts.vqa!.text!), tok.encode("a picture of")];
    const per = q.length / batch;
    for (const numBeams of [1, 3]) {
      const settings = {
        maxNewTokens: 8,
        minNewTokens: 0,
        numBeams,
        lengthPenalty: 1,
        earlyStopping: false as const,
        repetitionPenalty: 1,
        eosTokenIds: [manifest.special_ids.eos_token_id],
        padTokenId: manifest.special_ids.pad_token_id,
      };
      const together = await generate(model, { queryEmbeds: q, batch, textIds: prompts, settings, imageTokenId: manifest.special_ids.image_token_index });
      for (let b = 0; b < batch; b++) {
        const [alone] = await generate(model, {
          queryEmbeds: q.subarray(b * per, (b + 1) * per),
          batch: 1,
          textIds: [prompts[b]!],
          settings,
          imageTokenId: manifest.special_ids.image_token_index,
        });
        expect(together[b]!.tokens, `beams ${numBeams} item ${b}`).toEqual(alone!.tokens);
      }
    }
  });
});
