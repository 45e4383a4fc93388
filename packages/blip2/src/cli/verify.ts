import { readFile } from "node:fs/promises";
import path from "node:path";
import type { GenerationSettings } from "../generation/config.js";
import { generate, prefill } from "../generation/generate.js";
import { loadBlip2Model } from "../model.js";
import type { Blip2Model } from "../model-types.js";
import { loadImageProcessorConfig, preprocessImages } from "../preprocess/image-processor.js";
import { loadTokenizer } from "../tokenizer.js";

/**
 * Parity check of a checkpoint against a reference fixture (`expected/manifest.json` + `.bin` tensors): every
 * tensor the manifest lists is recomputed and compared — preprocessing, vision/Q-Former/projection outputs,
 * first-pass logits, greedy tokens and per-step logits, beam tokens, batched runs. Everything (prompts, settings,
 * ids, tolerances) comes from the manifest.
 */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  /** "max|Δ| 1.2e-06 ≤ 1.0e-04" or a token comparison. */
  detail: string;
}

export interface VerifyOptions {
  /** Checkpoint to verify. @defaultValue the fixture directory itself */
  modelDir?: string;
  /** Where the fp32 build is written/reused. @defaultValue `<modelDir>/onnx/fp32` */
  cacheDir?: string;
  /** Called with each check as soon as it is known. */
  onCheck?: (check: VerifyCheck) => void;
  log?: (message: string) => void;
  /** An already opened fp32 model to use instead of loading one (not disposed). */
  model?: Blip2Model;
}

interface TensorEntry {
  name: string;
  file: string;
  dtype: "float32" | "int64";
  shape: number[];
  image?: number;
  prompt?: string;
}

interface Manifest {
  images: { file: string }[];
  prompts: Record<string, { text: string | null }>;
  special_ids?: Record<string, number>;
  generation: Record<string, Record<string, unknown>> & { eos_token_id?: number | number[]; pad_token_id?: number };
  batched?: { images: number[] };
  decoded_text?: Record<string, unknown>;
  tolerances: { float_rel: number; pixel_values_abs: number };
  tensors: TensorEntry[];
}

type Loaded = { kind: "float32"; data: Float32Array } | { kind: "int64"; data: number[] };

async function readTensor(root: string, t: TensorEntry): Promise<Loaded> {
  const buf = await readFile(path.join(root, t.file));
  const count = t.shape.reduce((a, b) => a * b, 1);
  const size = t.dtype === "float32" ? 4 : 8;
  if (buf.byteLength !== count * size) {
    throw new Error(`${t.file}: ${buf.byteLength} bytes, expected ${count} × ${size} for shape [${t.shape.join(", ")}]`);
  }
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  if (t.dtype === "float32") return { kind: "float32", data: new Float32Array(ab) };
  if (t.dtype === "int64") return { kind: "int64", data: [...new BigInt64Array(ab)].map(Number) };
  throw new Error(`${t.file}: unsupported dtype ${String(t.dtype)}`);
}

const fmt = (x: number): string => x.toExponential(2);

function compareFloat(name: string, got: ArrayLike<number>, expected: Float32Array, tol: number, relative: boolean): VerifyCheck {
  if (got.length !== expected.length) {
    return { name, ok: false, detail: `size ${got.length}, expected ${expected.length}` };
  }
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const d = Math.abs(got[i]! - e);
    if (!(d <= maxErr)) maxErr = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(e));
  }
  const bound = relative ? tol * Math.max(1, maxRef) : tol;
  return { name, ok: maxErr <= bound, detail: `max|Δ| ${fmt(maxErr)} ${maxErr <= bound ? "≤" : ">"} ${fmt(bound)}` };
}

function compareTokens(name: string, got: number[], expected: number[]): VerifyCheck {
  const same = got.length === expected.length && got.every((v, i) => v === expected[i]);
  if (same) return { name, ok: true, detail: `${got.length} tokens equal` };
  const at = got.findIndex((v, i) => v !== expected[i]);
  return {
    name,
    ok: false,
    detail: `tokens differ${at >= 0 ? ` at ${at}` : ""}: got [${got.join(", ")}], expected [${expected.join(", ")}]`,
  };
}

function compareText(name: string, got: string, expected: string): VerifyCheck {
  return { name, ok: got === expected, detail: got === expected ? `text equal ${JSON.stringify(got)}` : `got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}` };
}

function settingsFrom(manifest: Manifest, mode: string, eos: number[], pad: number): GenerationSettings {
  const g = manifest.generation[mode] ?? {};
  const num = (k: string, d: number): number => (typeof g[k] === "number" ? (g[k] as number) : d);
  if (g.do_sample === true) throw new Error(`manifest generation.${mode}: sampling is not reproducible`);
  const es = g.early_stopping;
  return {
    maxNewTokens: num("max_new_tokens", 20),
    minNewTokens: num("min_new_tokens", 0),
    numBeams: num("num_beams", 1),
    lengthPenalty: num("length_penalty", 1),
    earlyStopping: es === true || es === "never" ? es : false,
    repetitionPenalty: num("repetition_penalty", 1),
    eosTokenIds: eos,
    padTokenId: pad,
  };
}

/** Run every check of the fixture. Never throws for a mismatch: the returned checks say what failed. */
export async function verifyFixture(fixtureDir: string, options: VerifyOptions = {}): Promise<VerifyCheck[]> {
  const root = path.resolve(fixtureDir);
  const manifest = JSON.parse(await readFile(path.join(root, "expected", "manifest.json"), "utf8")) as Manifest;
  const modelDir = path.resolve(options.modelDir ?? root);
  const checks: VerifyCheck[] = [];
  const add = (c: VerifyCheck): void => {
    checks.push(c);
    options.onCheck?.(c);
  };
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const tol = manifest.tolerances;

  const model = options.model ?? (await loadBlip2Model(modelDir, { precision: "fp32", cacheDir: options.cacheDir, log: options.log }));
  try {
    const tokenizer = await loadTokenizer(modelDir);
    const imageConfig = await loadImageProcessorConfig(modelDir);
    const dims = model.dims;
    const Q = dims.numQueryTokens;
    const imageToken = manifest.special_ids?.image_token_index ?? dims.imageTokenIndex;
    const eosRaw = manifest.generation.eos_token_id ?? manifest.special_ids?.eos_token_id ?? dims.text.eosTokenId;
    const eos = Array.isArray(eosRaw) ? eosRaw : [eosRaw];
    const pad = manifest.generation.pad_token_id ?? manifest.special_ids?.pad_token_id ?? dims.text.padTokenId;

    // prompts → ids
    const promptIds = new Map<string, number[]>();
    for (const [p, def] of Object.entries(manifest.prompts)) {
      const ids = tokenizer.encode(def.text ?? "");
      if (ids[0] !== dims.text.bosTokenId) ids.unshift(dims.text.bosTokenId);
      promptIds.set(p, ids);
      const t = byName.get(`${p}.text_input_ids`);
      if (t) add(compareTokens(t.name, ids, (await readTensor(root, t)).data as number[]));
      const full = byName.get(`${p}.input_ids`);
      if (full && imageToken !== null && imageToken !== undefined) {
        add(compareTokens(full.name, [...Array<number>(Q).fill(imageToken), ...ids], (await readTensor(root, full)).data as number[]));
      }
    }
    const decoded = (key: string): unknown => manifest.decoded_text?.[key];

    // per image
    const queryEmbeds: Float32Array[] = [];
    const pixels: Float32Array[] = [];
    for (let i = 0; i < manifest.images.length; i++) {
      const bytes = await readFile(path.join(root, manifest.images[i]!.file));
      const { pixelValues } = await preprocessImages([bytes], imageConfig);
      pixels.push(pixelValues);
      const entries = manifest.tensors.filter((t) => t.image === i);
      const find = (suffix: string): TensorEntry | undefined => entries.find((t) => !t.prompt && t.name.endsWith(`.${suffix}`));
      const pv = find("pixel_values");
      if (pv) add(compareFloat(pv.name, pixelValues, (await readTensor(root, pv)).data as Float32Array, tol.pixel_values_abs, false));
      const detailed = await model.encodeImagesDetailed(pixelValues, 1);
      for (const [suffix, got] of [
        ["vision_last_hidden_state", detailed.visionLastHiddenState],
        ["qformer_last_hidden_state", detailed.qformerLastHiddenState],
        ["language_projection", detailed.languageProjection],
      ] as const) {
        const t = find(suffix);
        if (t) add(compareFloat(t.name, got, (await readTensor(root, t)).data as Float32Array, tol.float_rel, true));
      }
      queryEmbeds.push(detailed.languageProjection);

      // per prompt: first-pass logits, greedy, beam
      for (const [p, ids] of promptIds) {
        const mine = entries.filter((t) => t.prompt === p);
        if (mine.length === 0) continue;
        const logitsEntry = mine.find((t) => t.name.endsWith(`.${p}.logits`));
        if (logitsEntry) {
          const pre = await prefill(model, detailed.languageProjection, 1, [ids], pad);
          add(compareFloat(logitsEntry.name, pre.logits, (await readTensor(root, logitsEntry)).data as Float32Array, tol.float_rel, true));
        }
        for (const mode of ["greedy", "beam"]) {
          const prefix = `img${i}.${p}.${mode}`;
          const group = mine.filter((t) => t.name.includes(`.${p}.${mode}.`));
          if (group.length === 0) continue;
          const key = group[0]!.name.slice(0, group[0]!.name.lastIndexOf("."));
          const settings = settingsFrom(manifest, mode, eos, pad);
          const stepLogits: Float32Array[] = [];
          const [res] = await generate(model, {
            queryEmbeds: detailed.languageProjection,
            batch: 1,
            textIds: [ids],
            settings,
            imageTokenId: imageToken ?? null,
            onStepLogits: (_item, step, l) => (stepLogits[step] = new Float32Array(l)),
          });
          for (const t of group) {
            const kind = t.name.slice(key.length + 1);
            const expected = await readTensor(root, t);
            if (kind === "new_tokens") add(compareTokens(t.name, res!.tokens, expected.data as number[]));
            else if (kind === "sequences") add(compareTokens(t.name, [...res!.promptIds, ...res!.tokens], expected.data as number[]));
            else if (kind === "step_logits") {
              const flat = new Float32Array(stepLogits.reduce((n, s) => n + s.length, 0));
              let o = 0;
              for (const s of stepLogits) {
                flat.set(s, o);
                o += s.length;
              }
              add(compareFloat(t.name, flat, expected.data as Float32Array, tol.float_rel, true));
            }
          }
          const text = decoded(key) as { new_tokens_decoded?: string } | undefined;
          if (text?.new_tokens_decoded !== undefined) {
            add(compareText(`${prefix}.decoded_text`, tokenizer.decode(res!.tokens), text.new_tokens_decoded));
          }
        }
      }
    }

    // batched runs
    const batchImages = manifest.batched?.images ?? [];
    if (batchImages.length > 0) {
      const hidden = dims.text.hiddenSize;
      const plane = pixels[0]!.length;
      const px = new Float32Array(batchImages.length * plane);
      batchImages.forEach((img, b) => px.set(pixels[img]!, b * plane));
      const batched = await model.encodeImagesDetailed(px, batchImages.length);
      const singles = new Float32Array(batchImages.length * Q * hidden);
      batchImages.forEach((img, b) => singles.set(queryEmbeds[img]!, b * Q * hidden));
      add(compareFloat("batch.language_projection", batched.languageProjection, singles, tol.float_rel, true));
      for (const t of manifest.tensors.filter((x) => x.name.startsWith("batch.") && x.name.endsWith(".sequences"))) {
        const [, p, mode] = t.name.split(".");
        const ids = promptIds.get(p!);
        if (!ids || !mode) continue;
        const res = await generate(model, {
          queryEmbeds: batched.languageProjection,
          batch: batchImages.length,
          textIds: batchImages.map(() => ids),
          settings: settingsFrom(manifest, mode, eos, pad),
          imageTokenId: imageToken ?? null,
        });
        const width = t.shape[1]!;
        const got = res.flatMap((r) => {
          const row = [...r.promptIds, ...r.tokens];
          return [...row, ...Array<number>(Math.max(0, width - row.length)).fill(pad)];
        });
        add(compareTokens(t.name, got, (await readTensor(root, t)).data as number[]));
        const texts = decoded(`batch.${p}.${mode}`);
        if (Array.isArray(texts)) {
          res.forEach((r, b) => add(compareText(`batch.${p}.${mode}[${b}].decoded_text`, tokenizer.decode(r.tokens), String(texts[b]))));
        }
      }
    }
  } finally {
    if (!options.model) await model.dispose();
  }
  return checks;
}
