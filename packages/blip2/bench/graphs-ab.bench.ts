/**
 * Interleaved A/B timing of two or more builds of the same graphs (e.g. before/after a graph change), for a
 * shared CPU box where back-to-back bench runs move by 2–3×: every round times each build once per case, in
 * alternating order, and the median (and min) per case is printed.
 *
 *   npx tsx --conditions=source bench/graphs-ab.bench.ts --rounds 12 <graphDirA> <graphDirB> [...]
 *
 * Each directory holds vision_encoder.onnx and decoder_model_merged.onnx built for the blip2-opt-2.7b shapes
 * (e.g. `<modelDir>/onnx/int4` of the bench checkpoint, copied aside before rebuilding with the change). Cases:
 * vision batch 1 and 4, decoder prefill (33 positions) batch 1 and 8, decode step batch 1 and 8 at past 40 and
 * batch 8 at past 64. Inputs are fixed synthetic values; only timings are reported.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";

const argv = process.argv.slice(2);
let rounds = 10;
const dirs: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--rounds") rounds = Number(argv[++i]);
  else if (argv[i]!.startsWith("--rounds=")) rounds = Number(argv[i]!.slice(9));
  // npm runs the script in the package folder; resolve paths from where it was invoked.
  else dirs.push(resolve(process.env["INIT_CWD"] ?? process.cwd(), argv[i]!));
}
if (dirs.length < 2 || !(rounds > 0)) {
  console.error("usage: graphs-ab.bench.ts [--rounds N] <graphDirA> <graphDirB> [...]");
  process.exit(2);
}

const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: availableParallelism(),
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  logSeverityLevel: 3,
};
const H = 2560;
const HEADS = 32;
const HD = 80;
const IMAGE = 224;

function values(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5;
  return a;
}

type Feeds = Record<string, ort.Tensor>;

function decoderFeeds(layers: number, batch: number, past: number, seq: number): Feeds {
  const f: Feeds = {
    inputs_embeds: new ort.Tensor("float32", values(batch * seq * H), [batch, seq, H]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(batch * (past + seq)).fill(1n), [batch, past + seq]),
    position_ids: new ort.Tensor("int64", BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(past + (i % seq))), [batch, seq]),
    num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.from([1n]), [1]),
  };
  const kv = values(batch * HEADS * past * HD);
  for (let k = 0; k < layers; k++) {
    f[`past_key_values.${k}.key`] = new ort.Tensor("float32", kv, [batch, HEADS, past, HD]);
    f[`past_key_values.${k}.value`] = new ort.Tensor("float32", kv, [batch, HEADS, past, HD]);
  }
  return f;
}

interface Build {
  dir: string;
  vision: ort.InferenceSession;
  decoder: ort.InferenceSession;
}

const builds: Build[] = [];
for (const dir of dirs) {
  builds.push({
    dir,
    vision: await ort.InferenceSession.create(join(dir, "vision_encoder.onnx"), options),
    decoder: await ort.InferenceSession.create(join(dir, "decoder_model_merged.onnx"), options),
  });
}
const layers = builds[0]!.decoder.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
const pixels = (b: number): Feeds => ({ pixel_values: new ort.Tensor("float32", values(b * 3 * IMAGE * IMAGE), [b, 3, IMAGE, IMAGE]) });

const cases: Array<{ name: string; repeat: number; run: (b: Build) => Promise<unknown> }> = [];
const vision = (name: string, feeds: Feeds) => cases.push({ name, repeat: 1, run: (b) => b.vision.run(feeds, ["image_features"]) });
const decoder = (name: string, repeat: number, feeds: Feeds) => cases.push({ name, repeat, run: (b) => b.decoder.run(feeds, ["logits"]) });
vision("vision b1", pixels(1));
vision("vision b4", pixels(4));
decoder("prefill b1", 1, decoderFeeds(layers, 1, 0, 33));
decoder("prefill b8", 1, decoderFeeds(layers, 8, 0, 33));
decoder("step b1 past 40", 5, decoderFeeds(layers, 1, 40, 1));
decoder("step b8 past 40", 5, decoderFeeds(layers, 8, 40, 1));
decoder("step b8 past 64", 5, decoderFeeds(layers, 8, 64, 1));

const times = cases.map(() => builds.map((): number[] => []));
for (const c of cases) for (const b of builds) await c.run(b); // warm-up
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
  for (const [ci, c] of cases.entries()) {
    for (const bi of order) {
      const t0 = performance.now();
      for (let i = 0; i < c.repeat; i++) await c.run(builds[bi]!);
      times[ci]![bi]!.push((performance.now() - t0) / c.repeat);
    }
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`median ms (min) over ${rounds} interleaved rounds, ${layers} decoder layers`);
builds.forEach((b, i) => console.log(`  [${String.fromCharCode(65 + i)}] ${b.dir}`));
console.log(`| case | ${builds.map((_, i) => String.fromCharCode(65 + i)).join(" | ")} |`);
console.log(`|---|${builds.map(() => "---").join("|")}|`);
for (const [ci, c] of cases.entries()) {
  console.log(`| ${c.name} | ${builds.map((_, bi) => `${median(times[ci]![bi]!).toFixed(1)} (${Math.min(...times[ci]![bi]!).toFixed(1)})`).join(" | ")} |`);
}
for (const b of builds) {
  await b.vision.release();
  await b.decoder.release();
}
