import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Captioner } from "../src/captioner-types.js";
import { loadCaptioner, ModelNotFoundError } from "../src/captioner.js";
import { ImageDecodeError } from "../src/preprocess/index.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));

interface Manifest {
  images: { file: string }[];
  prompts: Record<string, { text: string | null }>;
  generation: { greedy: { max_new_tokens: number }; beam: { num_beams: number; max_new_tokens: number; length_penalty: number } };
  decoded_text: Record<string, { new_tokens_decoded?: string } | string[]>;
  tensors: { name: string; file: string }[];
}

describe("captioner on the tiny checkpoint (onnxruntime, fp32)", () => {
  let tmp = "";
  let captioner: Captioner;
  let manifest: Manifest;
  let images: Uint8Array[];
  const tokens = async (name: string): Promise<number[]> => {
    const t = manifest.tensors.find((x) => x.name === name)!;
    const buf = await readFile(path.join(fixture, t.file));
    return [...new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))].map(Number);
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "blip2-captioner-"));
    manifest = JSON.parse(await readFile(path.join(fixture, "expected/manifest.json"), "utf8")) as Manifest;
    images = await Promise.all(manifest.images.map(async (i) => new Uint8Array(await readFile(path.join(fixture, i.file)))));
    captioner = await loadCaptioner(fixture, { cacheDir: path.join(tmp, "fp32"), device: "cpu" });
  });
  afterAll(async () => {
    await captioner?.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it("captions a batch with the reference greedy tokens and texts", async () => {
    const res = await captioner.caption(images, { maxNewTokens: manifest.generation.greedy.max_new_tokens });
    expect(res).toHaveLength(images.length);
    for (let i = 0; i < images.length; i++) {
      expect(res[i]!.tokenIds).toEqual(await tokens(`img${i}.caption.greedy.new_tokens`));
      const ref = manifest.decoded_text[`img${i}.caption.greedy`] as { new_tokens_decoded: string };
      expect(res[i]!.text).toBe(ref.new_tokens_decoded.trim());
      const t = res[i]!.timings;
      expect(t.totalMs).toBeGreaterThanOrEqual(t.visionMs);
    }
    expect(captioner.device).toBe("cpu");
    expect(captioner.precision).toBe("fp32");
  });

  it("answers questions with the VQA prompt", async () => {
    const question = /^Question: (.*) Answer:$/.exec(manifest.prompts.vqa!.text!)![1]!;
    const res = await captioner.answer(images, question, { maxNewTokens: manifest.generation.greedy.max_new_tokens });
    for (let i = 0; i < images.length; i++) expect(res[i]!.tokenIds).toEqual(await tokens(`img${i}.vqa.greedy.new_tokens`));
    const viaPrompt = await captioner.caption([images[0]!], { prompt: manifest.prompts.vqa!.text!, maxNewTokens: 12 });
    expect(viaPrompt[0]!.tokenIds).toEqual(res[0]!.tokenIds);
  });

  it("runs beam search with the reference result", async () => {
    const b = manifest.generation.beam;
    const res = await captioner.caption(images, { numBeams: b.num_beams, maxNewTokens: b.max_new_tokens, lengthPenalty: b.length_penalty });
    for (let i = 0; i < images.length; i++) expect(res[i]!.tokenIds).toEqual(await tokens(`img${i}.caption.beam.new_tokens`));
  });

  it("takes raw RGB frames as well as encoded images", async () => {
    const { data, info } = await sharp(images[1]!).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const frame = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const };
    const [fromFrame] = await captioner.caption([frame], { maxNewTokens: 5 });
    const [fromPng] = await captioner.caption([images[1]!], { maxNewTokens: 5 });
    expect(fromFrame!.tokenIds).toEqual(fromPng!.tokenIds);
  });

  it("uses generation_config.json defaults (EOS stops generation)", async () => {
    const [r] = await captioner.caption([images[0]!]);
    expect(r!.tokenIds).toEqual(await tokens("img0.caption.greedy.new_tokens"));
  });

  it("rejects bad input with clear errors", async () => {
    await expect(captioner.caption([])).rejects.toThrow(/empty/);
    await expect(captioner.caption([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])])).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(captioner.caption([images[0]!], { numBeams: 0 })).rejects.toThrow(/numBeams/);
    await expect(captioner.caption([images[0]!], { maxNewTokens: 500 })).rejects.toThrow(/positions/);
    await expect(captioner.answer([images[0]!], "  ")).rejects.toThrow(/question/);
  });
});

describe("loadCaptioner errors", () => {
  it("explains how to pull a missing model", async () => {
    const missing = path.join(os.tmpdir(), "scenecap-no-such-model-dir");
    const err = await loadCaptioner(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toMatch(/does not exist.*scenecap models pull <model_id>/);
  });

  it("rejects a directory that is not a checkpoint", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "blip2-empty-"));
    try {
      await expect(loadCaptioner(dir)).rejects.toThrow(/no config.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
