import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import { InvalidArgumentError, type Command } from "commander";
import { loadCaptioner } from "../captioner.js";
import { DEFAULT_MODEL_ID, modelPath, pullModel } from "../hub.js";
import { defaultModelsDir } from "../models-dir.js";
import { buildGraphs } from "../model.js";
import type { Device, Precision } from "../model-types.js";
import { verifyFixture } from "./verify.js";

/** Where command output goes (replaceable for embedding in another CLI). */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

const PRECISIONS: Precision[] = ["fp32", "fp16", "int4", "int8"];
const DEVICES: Device[] = ["auto", "cpu", "cuda", "webgpu"];
const oneOf = <T extends string>(name: string, values: readonly T[]) => (v: string): T => {
  if (!values.includes(v as T)) throw new InvalidArgumentError(`${name} must be one of ${values.join(", ")}`);
  return v as T;
};

/**
 * A model argument: an existing directory, else a hub model id under the models directory (which must have been
 * pulled: the error says how).
 */
export async function resolveModelDir(model: string, modelsDir: string = defaultModelsDir()): Promise<string> {
  try {
    if ((await stat(model)).isDirectory()) return path.resolve(model);
  } catch {
    // not a local path: treat it as a model id
  }
  let dir: string;
  try {
    dir = modelPath(model, modelsDir);
  } catch {
    throw new Error(`${model} is neither a directory nor a model id`);
  }
  try {
    await stat(path.join(dir, "config.json"));
  } catch {
    throw new Error(`model ${model} is not downloaded (looked in ${dir}); run \`scenecap models pull ${model}\` first`);
  }
  return dir;
}

function fail(io: CliIo, err: unknown): void {
  io.err(`error: ${(err as Error).message}`);
  process.exitCode = 1;
}

/**
 * Register `models pull|build|verify` and `caption` on a commander program (the `scenecap` CLI absorbs them
 * this way; the `scenecap-models` bin is a program with just these).
 */
export function registerModelCommands(program: Command, io: CliIo = defaultIo): Command {
  const models = program.command("models").description("download, build and verify BLIP-2 checkpoints");

  models
    .command("pull")
    .description("download a checkpoint from the Hugging Face hub into the models directory (resumable)")
    .argument("<model_id>", "hub model id, e.g. Salesforce/blip2-opt-2.7b")
    .option("--revision <rev>", "branch, tag or commit", "main")
    .option("--models-dir <dir>", "models directory (default $SCENECAP_MODELS_DIR or ~/.cache/scenecap/models)")
    .option("--no-progress", "no progress bar")
    .action(async (modelId: string, opts: { revision: string; modelsDir?: string; progress: boolean }) => {
      const bar = opts.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: "{bar} {percentage}% | {value}/{total} MB | {file}", hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let started = false;
      try {
        const res = await pullModel(modelId, {
          revision: opts.revision,
          ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
          onProgress: (p) => {
            if (!bar) {
              if (opts.progress && (p.phase === "done" || p.phase === "skip")) {
                io.err(`${p.phase === "skip" ? "have" : "got "} ${p.file} (${p.fileTotal} bytes)`);
              }
              return;
            }
            const mb = (n: number) => Math.round(n / 1e5) / 10;
            if (!started) {
              bar.start(mb(p.total), 0, { file: p.file });
              started = true;
            }
            bar.update(mb(p.bytes), { file: p.file });
          },
        });
        bar?.stop();
        const fetched = res.files.filter((f) => f.downloaded).length;
        io.out(`${modelId} → ${res.modelDir} (${res.files.length} files, ${fetched} downloaded)`);
      } catch (err) {
        bar?.stop();
        fail(io, err);
      }
    });

  models
    .command("build")
    .description("build the ONNX graphs of a checkpoint directory")
    .argument("<model_dir>", "checkpoint directory (or a model id under the models directory)")
    .option("--precision <p>", `one of ${PRECISIONS.join(", ")}`, oneOf("precision", PRECISIONS), "fp32")
    .option("--out <dir>", "output directory (default <model_dir>/onnx/<precision>)")
    .option("--force", "rebuild even if a matching build exists", false)
    .action(async (dir: string, opts: { precision: Precision; out?: string; force: boolean }) => {
      try {
        const modelDir = await resolveModelDir(dir);
        const report = await buildGraphs(modelDir, {
          precision: opts.precision,
          force: opts.force,
          ...(opts.out ? { outDir: opts.out } : {}),
          log: (m) => io.err(m),
        });
        io.out(`${report.built ? "built" : "up to date"}: ${opts.precision} graphs in ${report.outDir} (${Math.round(report.ms)} ms)`);
      } catch (err) {
        fail(io, err);
      }
    });

  models
    .command("verify")
    .description("check a checkpoint against a reference fixture (expected/manifest.json) with the fp32 build")
    .argument("<fixture_dir>", "fixture directory with expected/manifest.json")
    .option("--model <dir>", "checkpoint directory to verify (default: the fixture directory)")
    .option("--cache-dir <dir>", "where the fp32 build goes (default <model>/onnx/fp32)")
    .action(async (fixtureDir: string, opts: { model?: string; cacheDir?: string }) => {
      try {
        let failed = 0;
        const checks = await verifyFixture(fixtureDir, {
          ...(opts.model ? { modelDir: await resolveModelDir(opts.model) } : {}),
          ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          onCheck: (c) => {
            if (!c.ok) failed++;
            io.out(`${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
          },
        });
        if (checks.length === 0) throw new Error("the manifest lists no checks");
        io.out(`${checks.length - failed}/${checks.length} checks passed`);
        if (failed > 0) process.exitCode = 1;
      } catch (err) {
        fail(io, err);
      }
    });

  program
    .command("caption")
    .description("caption images (or answer a question about them) with BLIP-2")
    .argument("<image...>", "image files")
    .option("--model <model>", "model id (under the models directory) or checkpoint directory", DEFAULT_MODEL_ID)
    .option("--prompt <text>", "text the caption continues")
    .option("--question <text>", "ask a question instead (prompt `Question: {q} Answer:`)")
    .option("--beams <n>", "beam count (1 = greedy)", positiveInt("--beams"))
    .option("--max-new-tokens <n>", "maximum generated tokens", positiveInt("--max-new-tokens"))
    .option("--min-new-tokens <n>", "minimum generated tokens", (v) => Number(v))
    .option("--precision <p>", `one of ${PRECISIONS.join(", ")}`, oneOf("precision", PRECISIONS), "fp32")
    .option("--device <d>", `one of ${DEVICES.join(", ")}`, oneOf("device", DEVICES), "auto")
    .option("--json", "print one JSON object per image", false)
    .action(
      async (
        images: string[],
        opts: {
          model: string;
          prompt?: string;
          question?: string;
          beams?: number;
          maxNewTokens?: number;
          minNewTokens?: number;
          precision: Precision;
          device: Device;
          json: boolean;
        },
      ) => {
        try {
          if (opts.prompt !== undefined && opts.question !== undefined) throw new Error("use either --prompt or --question, not both");
          const modelDir = await resolveModelDir(opts.model);
          const inputs = await Promise.all(
            images.map(async (f) => {
              try {
                return new Uint8Array(await readFile(f));
              } catch (err) {
                throw new Error(`cannot read image ${f}: ${(err as Error).message}`);
              }
            }),
          );
          const captioner = await loadCaptioner(modelDir, { precision: opts.precision, device: opts.device, log: (m) => io.err(m) });
          try {
            const gen = {
              ...(opts.beams !== undefined ? { numBeams: opts.beams } : {}),
              ...(opts.maxNewTokens !== undefined ? { maxNewTokens: opts.maxNewTokens } : {}),
              ...(opts.minNewTokens !== undefined ? { minNewTokens: opts.minNewTokens } : {}),
            };
            const results =
              opts.question !== undefined
                ? await captioner.answer(inputs, opts.question, gen)
                : await captioner.caption(inputs, { ...gen, ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}) });
            results.forEach((r, i) => {
              if (opts.json) io.out(JSON.stringify({ image: images[i], text: r.text, tokenIds: r.tokenIds, timings: r.timings }));
              else io.out(`${images[i]}\t${r.text}`);
            });
          } finally {
            await captioner.dispose();
          }
        } catch (err) {
          fail(io, err);
        }
      },
    );
  return program;
}
