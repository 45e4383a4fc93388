import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { SafetensorsCheckpoint } from "../src/checkpoint/safetensors.js";
import { writeSafetensors, type TensorSpec } from "../src/checkpoint/safetensors-writer.js";

/** Shared by the checkpoint / graphs / model tests: the tiny fixture, its expected tensors, variants. */
export const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "blip2-tiny");

interface ManifestTensor {
  name: string;
  file: string;
  dtype: "float32" | "int64";
  shape: number[];
}

const manifest = JSON.parse(readFileSync(join(FIXTURE, "expected", "manifest.json"), "utf8")) as {
  tensors: ManifestTensor[];
  tolerances: { float_rel: number };
  special_ids: { image_token_index: number };
};

export const FLOAT_REL = manifest.tolerances.float_rel;
export const IMAGE_TOKEN = manifest.special_ids.image_token_index;

export function expectedF32(name: string): { data: Float32Array; shape: number[] } {
  const t = manifest.tensors.find((x) => x.name === name);
  if (!t || t.dtype !== "float32") throw new Error(`no float32 tensor ${name} in the fixture manifest`);
  const b = readFileSync(join(FIXTURE, t.file));
  return { data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), shape: t.shape };
}

export function expectedI64(name: string): { data: BigInt64Array; shape: number[] } {
  const t = manifest.tensors.find((x) => x.name === name);
  if (!t || t.dtype !== "int64") throw new Error(`no int64 tensor ${name} in the fixture manifest`);
  const b = readFileSync(join(FIXTURE, t.file));
  return { data: new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), shape: t.shape };
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The fixture's tolerance rule: max|got − exp| ≤ 1e-4 · max(1, max|exp|). */
export function expectClose(got: ArrayLike<number>, exp: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(exp.length);
  const diff = maxAbsDiff(got, exp);
  const tol = FLOAT_REL * Math.max(1, maxAbs(exp));
  expect(diff, `${what}: max abs diff ${diff} > ${tol}`).toBeLessThanOrEqual(tol);
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copy the fixture's non-weight files into `dir`. */
export function copyFixtureConfig(dir: string): void {
  for (const f of ["config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json"]) {
    copyFileSync(join(FIXTURE, f), join(dir, f));
  }
}

export interface FixtureTensor extends TensorSpec {
  data: Float32Array;
}

/** All fixture tensors as float32, in header order. */
export function fixtureTensors(): FixtureTensor[] {
  const ck = SafetensorsCheckpoint.open(FIXTURE);
  try {
    return ck.names().map((name) => ({ name, dtype: "F32" as const, shape: ck.shape(name), data: ck.readFloat32(name) }));
  } finally {
    ck.close();
  }
}

export type Variant = "lm_head_stored" | "lm_head_scaled" | "q_v_bias" | "sharded";

/**
 * Write a checkpoint variant of the fixture into a temp dir:
 * - lm_head_stored: `language_model.lm_head.weight` stored (a copy of embed_tokens);
 * - lm_head_scaled: stored lm_head = 2 × embed_tokens (logits must double: proves the stored one is used);
 * - q_v_bias: vision qkv bias split into LAVIS-style `q_bias` / `v_bias`;
 * - sharded: three shards plus `model.safetensors.index.json`.
 */
export function writeVariant(variant: Variant): { dir: string; cleanup: () => void } {
  const t = tempDir(`blip2-${variant}`);
  copyFixtureConfig(t.dir);
  let tensors = fixtureTensors();
  const embed = tensors.find((x) => x.name === "language_model.model.decoder.embed_tokens.weight")!;
  if (variant === "lm_head_stored" || variant === "lm_head_scaled") {
    const data = Float32Array.from(embed.data, (v) => (variant === "lm_head_scaled" ? 2 * v : v));
    tensors.push({ name: "language_model.lm_head.weight", dtype: "F32", shape: embed.shape, data });
  }
  if (variant === "q_v_bias") {
    const out: FixtureTensor[] = [];
    for (const x of tensors) {
      if (!x.name.endsWith("self_attn.qkv.bias")) {
        out.push(x);
        continue;
      }
      const h = x.data.length / 3;
      const p = x.name.slice(0, -"qkv.bias".length);
      out.push({ name: `${p}q_bias`, dtype: "F32", shape: [h], data: x.data.slice(0, h) });
      out.push({ name: `${p}v_bias`, dtype: "F32", shape: [h], data: x.data.slice(2 * h) });
    }
    tensors = out;
  }
  if (variant === "sharded") {
    const shards = 3;
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards; s++) {
      const file = `model-0000${s + 1}-of-0000${shards}.safetensors`;
      const part = tensors.filter((_, i) => i % shards === s);
      for (const x of part) weightMap[x.name] = file;
      writeSafetensors(join(t.dir, file), part);
    }
    writeFileSync(join(t.dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    return t;
  }
  writeSafetensors(join(t.dir, "model.safetensors"), tensors);
  return t;
}
