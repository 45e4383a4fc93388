/**
 * BLIP-2 OPT-2.7b speed bench on random weights with the real shapes.
 *
 *   npm run bench:blip2 -- --precision=fp32,int4 --device=cpu --layers=2
 *
 * 1. Writes (once) a checkpoint with the blip2-opt-2.7b tensor names and shapes and random fp16 weights to
 *    `.bench/` in the repo root (sharded safetensors + index, like the hub checkpoint), streamed tensor by tensor.
 * 2. Per precision, in separate child processes so peak RSS is per phase: builds the graphs (time, peak RSS),
 *    then measures vision ms/image (batch 1 and 8), decoder prefill and per-step ms (batch 1 and 8), a
 *    20-token greedy caption end to end, peak RSS, and the decode step's effective weight bandwidth.
 *
 * Through npm use the `=` form: `npm run bench:blip2 -- --precision=int4 --layers=2`.
 * Flags: --precision fp32,int4 | --device auto|cpu|cuda|webgpu | --layers N (caps every stack at N layers for a
 * quick run) | --batch 8 (the larger batch) | --steps 5 (timed decode steps) | --force-build (rebuild cached graphs).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SafetensorsWriter, type TensorSpec } from "../src/checkpoint/safetensors-writer.js";
import { loadBlip2Model, buildGraphs } from "../src/model.js";
import type { Device, Precision } from "../src/model-types.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const BENCH_DIR = join(REPO_ROOT, ".bench");

interface Args {
  precisions: Precision[];
  device: Device;
  layers: number | null;
  batch: number;
  steps: number;
  phase: "main" | "build" | "infer";
}

function parseArgs(argv: string[]): Args {
  // `--name value` / `--name=value`; through the root `npm run bench:blip2 -- --name=value` npm turns the flag
  // into npm_config_<name>, so read that too.
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    if (eq) return eq.slice(name.length + 3);
    const env = process.env[`npm_config_${name.replace(/-/g, "_")}`];
    if (env === "true") throw new Error(`write --${name}=VALUE (npm swallows "--${name} VALUE" when passed through npm run)`);
    return env;
  };
  const precisions = (get("precision") ?? "fp32,int4").split(",").map((s) => s.trim()) as Precision[];
  for (const p of precisions) if (!["fp32", "fp16", "int4", "int8"].includes(p)) throw new Error(`unknown precision ${p}`);
  const device = (get("device") ?? "cpu") as Device;
  const layers = get("layers") ? Number(get("layers")) : null;
  return {
    precisions,
    device,
    layers,
    batch: Number(get("batch") ?? 8),
    steps: Number(get("steps") ?? 5),
    phase: (get("phase") ?? "main") as Args["phase"],
  };
}

// ---------------------------------------------------------------- checkpoint with the real shapes

function opt27bConfig(layers: number | null) {
  const cap = (n: number) => (layers ? Math.min(layers, n) : n);
  return {
    architectures: ["Blip2ForConditionalGeneration"],
    model_type: "blip-2",
    num_query_tokens: 32,
    image_token_index: 50265,
    use_decoder_only_language_model: true,
    vision_config: { model_type: "blip_2_vision_model", num_hidden_layers: cap(39), layer_norm_eps: 1e-6 },
    qformer_config: { model_type: "blip_2_qformer", num_hidden_layers: cap(12) },
    text_config: {
      model_type: "opt",
      hidden_size: 2560,
      word_embed_proj_dim: 2560,
      num_hidden_layers: cap(32),
      num_attention_heads: 32,
      ffn_dim: 10240,
      max_position_embeddings: 2048,
      vocab_size: 50272,
      bos_token_id: 2,
      eos_token_id: 50118,
      pad_token_id: 1,
    },
  };
}

function tensorSpecs(cfg: ReturnType<typeof opt27bConfig>): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const add = (name: string, shape: number[]) => specs.push({ name, dtype: "F16", shape });
  const H = 1408;
  add("vision_model.embeddings.class_embedding", [1, 1, H]);
  add("vision_model.embeddings.position_embedding", [1, 257, H]);
  add("vision_model.embeddings.patch_embedding.weight", [H, 3, 14, 14]);
  add("vision_model.embeddings.patch_embedding.bias", [H]);
  for (let i = 0; i < cfg.vision_config.num_hidden_layers; i++) {
    const p = `vision_model.encoder.layers.${i}.`;
    add(`${p}layer_norm1.weight`, [H]);
    add(`${p}layer_norm1.bias`, [H]);
    add(`${p}self_attn.qkv.weight`, [3 * H, H]);
    add(`${p}self_attn.qkv.bias`, [3 * H]);
    add(`${p}self_attn.projection.weight`, [H, H]);
    add(`${p}self_attn.projection.bias`, [H]);
    add(`${p}layer_norm2.weight`, [H]);
    add(`${p}layer_norm2.bias`, [H]);
    add(`${p}mlp.fc1.weight`, [6144, H]);
    add(`${p}mlp.fc1.bias`, [6144]);
    add(`${p}mlp.fc2.weight`, [H, 6144]);
    add(`${p}mlp.fc2.bias`, [H]);
  }
  add("vision_model.post_layernorm.weight", [H]);
  add("vision_model.post_layernorm.bias", [H]);
  const Q = 768;
  add("query_tokens", [1, 32, Q]);
  add("qformer.layernorm.weight", [Q]);
  add("qformer.layernorm.bias", [Q]);
  for (let j = 0; j < cfg.qformer_config.num_hidden_layers; j++) {
    const p = `qformer.encoder.layer.${j}.`;
    for (const m of ["query", "key", "value"]) {
      add(`${p}attention.attention.${m}.weight`, [Q, Q]);
      add(`${p}attention.attention.${m}.bias`, [Q]);
    }
    add(`${p}attention.output.dense.weight`, [Q, Q]);
    add(`${p}attention.output.dense.bias`, [Q]);
    add(`${p}attention.output.LayerNorm.weight`, [Q]);
    add(`${p}attention.output.LayerNorm.bias`, [Q]);
    if (j % 2 === 0) {
      add(`${p}crossattention.attention.query.weight`, [Q, Q]);
      add(`${p}crossattention.attention.query.bias`, [Q]);
      for (const m of ["key", "value"]) {
        add(`${p}crossattention.attention.${m}.weight`, [Q, H]);
        add(`${p}crossattention.attention.${m}.bias`, [Q]);
      }
      add(`${p}crossattention.output.dense.weight`, [Q, Q]);
      add(`${p}crossattention.output.dense.bias`, [Q]);
      add(`${p}crossattention.output.LayerNorm.weight`, [Q]);
      add(`${p}crossattention.output.LayerNorm.bias`, [Q]);
    }
    add(`${p}intermediate_query.dense.weight`, [3072, Q]);
    add(`${p}intermediate_query.dense.bias`, [3072]);
    add(`${p}output_query.dense.weight`, [Q, 3072]);
    add(`${p}output_query.dense.bias`, [Q]);
    add(`${p}output_query.LayerNorm.weight`, [Q]);
    add(`${p}output_query.LayerNorm.bias`, [Q]);
  }
  const T = 2560;
  add("language_projection.weight", [T, Q]);
  add("language_projection.bias", [T]);
  const D = "language_model.model.decoder.";
  add(`${D}embed_tokens.weight`, [50272, T]);
  add(`${D}embed_positions.weight`, [2050, T]);
  for (let k = 0; k < cfg.text_config.num_hidden_layers; k++) {
    const p = `${D}layers.${k}.`;
    for (const m of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
      add(`${p}self_attn.${m}.weight`, [T, T]);
      add(`${p}self_attn.${m}.bias`, [T]);
    }
    add(`${p}self_attn_layer_norm.weight`, [T]);
    add(`${p}self_attn_layer_norm.bias`, [T]);
    add(`${p}fc1.weight`, [10240, T]);
    add(`${p}fc1.bias`, [10240]);
    add(`${p}fc2.weight`, [T, 10240]);
    add(`${p}fc2.bias`, [T]);
    add(`${p}final_layer_norm.weight`, [T]);
    add(`${p}final_layer_norm.bias`, [T]);
  }
  add(`${D}final_layer_norm.weight`, [T]);
  add(`${D}final_layer_norm.bias`, [T]);
  return specs;
}

/** Random fp16 weights: N(0, std) values drawn through a 64K table with xorshift indices (fast, deterministic). */
function randomHalfs(count: number, std: number, state: { s: number }, table: Map<number, Uint16Array>): Uint16Array {
  let t = table.get(std);
  if (!t) {
    t = new Uint16Array(65536);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 65536; i++) {
      const u1 = (i + 0.5) / 65536;
      const u2 = ((i * 40503) % 65536) / 65536;
      f[0] = std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      const bits = u[0]!;
      // truncating fp32 → fp16 conversion is fine for random data
      const sign = (bits >>> 16) & 0x8000;
      const e = ((bits >>> 23) & 0xff) - 127 + 15;
      t[i] = e <= 0 ? sign : e >= 31 ? sign | 0x7bff : sign | (e << 10) | ((bits >>> 13) & 0x3ff);
    }
    table.set(std, t);
  }
  const out = new Uint16Array(count);
  let s = state.s;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = t[s & 0xffff]!;
  }
  state.s = s;
  return out;
}

function writeCheckpoint(dir: string, layers: number | null): void {
  const marker = join(dir, ".complete");
  if (existsSync(marker)) return;
  mkdirSync(dir, { recursive: true });
  const cfg = opt27bConfig(layers);
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg, null, 2));
  const specs = tensorSpecs(cfg);
  // Two shards split by bytes, like the hub checkpoint.
  const bytes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1) * 2);
  const total = bytes.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cut = specs.findIndex((_, i) => (acc += bytes[i]!) > total * 0.66);
  const shards = [specs.slice(0, cut), specs.slice(cut)];
  const weightMap: Record<string, string> = {};
  const state = { s: 0x2545f491 };
  const table = new Map<number, Uint16Array>();
  const one = 0x3c00;
  const t0 = performance.now();
  shards.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const w = new SafetensorsWriter(join(dir, file), part);
    for (const spec of part) {
      weightMap[spec.name] = file;
      const n = spec.shape.reduce((a, b) => a * b, 1);
      let data: Uint16Array;
      if (/(layer_norm\d?|layernorm|LayerNorm)\.weight$/.test(spec.name)) data = new Uint16Array(n).fill(one);
      else if (/(layer_norm\d?|layernorm|LayerNorm)\.bias$/.test(spec.name)) data = new Uint16Array(n);
      else data = randomHalfs(n, spec.name.endsWith(".bias") ? 0.01 : 0.02, state, table);
      w.write(data);
    }
    w.close();
  });
  writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 1));
  writeFileSync(marker, `${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

// ---------------------------------------------------------------- phases (run in child processes)

const rssMB = () => process.resourceUsage().maxRSS / 1024;

async function timeIt<T>(fn: () => Promise<T>, repeat: number): Promise<{ ms: number; value: T }> {
  let value = await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) value = await fn();
  return { ms: (performance.now() - t0) / repeat, value };
}

async function phaseBuild(modelDir: string, precision: Precision): Promise<Record<string, number>> {
  const force = process.argv.includes("--force-build") || process.env["npm_config_force_build"] === "true";
  const r = await buildGraphs(modelDir, { precision, force, log: (m) => console.error(`  ${m}`) });
  const data = Object.values(r.manifest.files).reduce((a, f) => a + f.dataBytes, 0);
  return { buildS: r.ms / 1000, built: r.built ? 1 : 0, peakRssMB: rssMB(), graphGB: data / 1e9 };
}

async function phaseInfer(modelDir: string, precision: Precision, args: Args): Promise<Record<string, number>> {
  const model = await loadBlip2Model(modelDir, { precision, device: args.device, log: (m) => console.error(`  ${m}`) });
  const res: Record<string, number> = {};
  const S = model.dims.imageSize;
  const H = model.dims.text.hiddenSize;
  const Q = model.dims.numQueryTokens;
  const V = model.dims.text.vocabSize;
  const px = (b: number) => Float32Array.from({ length: b * 3 * S * S }, (_, i) => Math.sin(i * 0.001));
  const B = args.batch;
  res["loadRssMB"] = rssMB();

  res["vision_b1_ms"] = (await timeIt(() => model.encodeImages(px(1), 1), 3)).ms;
  res[`vision_b${B}_ms_per_image`] = (await timeIt(() => model.encodeImages(px(B), B), 1)).ms / B;

  const bos = await model.embedTokens(BigInt64Array.of(2n), 1, 1);
  const prefillInput = async (b: number) => {
    const feats = await model.encodeImages(px(1), 1);
    const e = new Float32Array(b * (Q + 1) * H);
    for (let r = 0; r < b; r++) {
      e.set(feats, r * (Q + 1) * H);
      e.set(bos, (r * (Q + 1) + Q) * H);
    }
    return e;
  };
  const ones = (n: number) => new BigInt64Array(n).fill(1n);
  const pos = (b: number, from: number, len: number) => BigInt64Array.from({ length: b * len }, (_, i) => BigInt(from + (i % len)));

  for (const b of [1, B]) {
    const e = await prefillInput(b);
    const L = Q + 1;
    const pre = await timeIt(
      () => model.decode({ inputsEmbeds: e, batch: b, seqLen: L, attentionMask: ones(b * L), positionIds: pos(b, 0, L), past: null, numLogitsToKeep: 1 }),
      2,
    );
    res[`prefill_b${b}_ms`] = pre.ms;
    let past = pre.value.present;
    const tok = await model.embedTokens(new BigInt64Array(b).fill(100n), b, 1);
    // Timed steps grow the cache as real generation does.
    let total = 0;
    for (let s = 0; s < args.steps + 1; s++) {
      const t0 = performance.now();
      const out = await model.decode({ inputsEmbeds: tok, batch: b, seqLen: 1, attentionMask: ones(b * (past.pastLength + 1)), positionIds: pos(b, past.pastLength, 1), past });
      if (s > 0) total += performance.now() - t0; // first step is warm-up
      past = out.present;
    }
    res[`step_b${b}_ms`] = total / args.steps;
  }

  // End to end: one image, 20 new tokens greedy (EOS ignored: random weights), our own simple loop.
  const e2e = performance.now();
  {
    const feats = await model.encodeImages(px(1), 1);
    const e = new Float32Array((Q + 1) * H);
    e.set(feats);
    e.set(await model.embedTokens(BigInt64Array.of(2n), 1, 1), Q * H);
    let out = await model.decode({ inputsEmbeds: e, batch: 1, seqLen: Q + 1, attentionMask: ones(Q + 1), positionIds: pos(1, 0, Q + 1), past: null, numLogitsToKeep: 1 });
    for (let t = 1; t < 20; t++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (out.logits[v]! > out.logits[best]!) best = v;
      const next = await model.embedTokens(BigInt64Array.of(BigInt(best)), 1, 1);
      const P = out.present.pastLength;
      out = await model.decode({ inputsEmbeds: next, batch: 1, seqLen: 1, attentionMask: ones(P + 1), positionIds: pos(1, P, 1), past: out.present, numLogitsToKeep: 1 });
    }
  }
  res["caption20_ms"] = performance.now() - e2e;
  res["peakRssMB"] = rssMB();
  const dataFile = join(modelDir, "onnx", precision, "decoder_model_merged.onnx.data");
  const decoderBytes = statSync(dataFile).size;
  res["decoderWeightsGB"] = decoderBytes / 1e9;
  res["stepBandwidthGBs_b1"] = decoderBytes / 1e9 / (res["step_b1_ms"]! / 1000);
  res["device"] = model.device === "cpu" ? 0 : 1;
  await model.dispose();
  return res;
}

// ---------------------------------------------------------------- main

function runChild(phase: "build" | "infer", modelDir: string, precision: Precision, argv: string[]): Record<string, number> | null {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...argv, "--phase", phase, "--model-dir", modelDir, "--one", precision], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) {
    console.log(`  ${phase} ${precision}: child exited with ${r.status ?? r.signal} (out of memory or error)`);
    return null;
  }
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as Record<string, number>;
}

const fmt = (v: number | undefined, d = 1) => (v === undefined ? "—" : v.toFixed(d));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.phase !== "main") {
    const i = argv.indexOf("--model-dir");
    const modelDir = argv[i + 1]!;
    const precision = argv[argv.indexOf("--one") + 1] as Precision;
    const out = args.phase === "build" ? await phaseBuild(modelDir, precision) : await phaseInfer(modelDir, precision, args);
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const modelDir = join(BENCH_DIR, args.layers ? `blip2-opt-2.7b-random-L${args.layers}` : "blip2-opt-2.7b-random");
  console.log(`checkpoint: ${modelDir}${args.layers ? ` (stacks capped at ${args.layers} layers)` : " (full blip2-opt-2.7b shapes)"}`);
  const t0 = performance.now();
  writeCheckpoint(modelDir, args.layers);
  console.log(`checkpoint ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rows: Array<[Precision, Record<string, number> | null, Record<string, number> | null]> = [];
  for (const p of args.precisions) {
    console.log(`\n== ${p}: build`);
    const b = runChild("build", modelDir, p, argv);
    console.log(`  ${JSON.stringify(b)}`);
    console.log(`== ${p}: inference (${args.device})`);
    const inf = b ? runChild("infer", modelDir, p, argv) : null;
    console.log(`  ${JSON.stringify(inf)}`);
    rows.push([p, b, inf]);
  }
  const B = args.batch;
  console.log(`\n| precision | build s | build peak RSS MB | graphs GB | vision ms/img b1 | vision ms/img b${B} | prefill ms b1 | prefill ms b${B} | step ms b1 | step ms b${B} | 20-token caption ms | infer peak RSS MB | step GB/s (b1) |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const [p, b, i] of rows) {
    console.log(
      `| ${p} | ${fmt(b?.["buildS"])} | ${fmt(b?.["peakRssMB"], 0)} | ${fmt(b?.["graphGB"], 2)} | ${fmt(i?.["vision_b1_ms"], 0)} | ${fmt(i?.[`vision_b${B}_ms_per_image`], 0)} | ${fmt(i?.["prefill_b1_ms"], 0)} | ${fmt(i?.[`prefill_b${B}_ms`], 0)} | ${fmt(i?.["step_b1_ms"], 0)} | ${fmt(i?.[`step_b${B}_ms`], 0)} | ${fmt(i?.["caption20_ms"], 0)} | ${fmt(i?.["peakRssMB"], 0)} | ${fmt(i?.["stepBandwidthGBs_b1"], 2)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
