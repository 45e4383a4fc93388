import { stat } from "node:fs/promises";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import type { Task } from "mixpeek";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";

interface IngestFlags extends ClientFlags {
  collection: string;
  split?: "time" | "scene";
  interval?: number;
  threshold?: number;
  prompt?: string;
  model?: string;
  beams?: number;
  maxNewTokens?: number;
  wait: boolean;
  timeout: number;
}

function isUrl(source: string): boolean {
  return /^(https?:|data:)/i.test(source);
}

/** Extractor params from flags; absent flags stay absent so the server's defaults apply. */
export function extractorParams(flags: Partial<IngestFlags>): Record<string, unknown> {
  const params: Record<string, unknown> = { model_id: flags.model ?? "Salesforce/blip2-opt-2.7b" };
  if (flags.split) params.split_method = flags.split;
  if (flags.interval !== undefined) params.time_split_interval = flags.interval;
  if (flags.threshold !== undefined) params.scene_detection_threshold = flags.threshold;
  if (flags.prompt) params.prompt = flags.prompt;
  if (flags.beams !== undefined) params.num_beams = flags.beams;
  if (flags.maxNewTokens !== undefined) params.max_new_tokens = flags.maxNewTokens;
  return params;
}

function progressOf(task: Task): { done: number; total: number } {
  const extra = (task.additional_data ?? {}) as Record<string, unknown>;
  const done = typeof extra.segments_done === "number" ? extra.segments_done : 0;
  const total = typeof extra.segments_total === "number" ? extra.segments_total : 0;
  return { done, total };
}

export function registerIngestCommand(program: Command): void {
  withClientOptions(
    program
      .command("ingest")
      .description("upload files or submit URLs into a collection and caption their scenes")
      .argument("<sources...>", "local files or http(s) URLs")
      .requiredOption("--collection <name>", "collection id or name (created on first use)")
      .option("--split <method>", "time | scene")
      .option("--interval <seconds>", "segment length for --split time", Number.parseFloat)
      .option("--threshold <score>", "scene-change threshold for --split scene (0..1)", Number.parseFloat)
      .option("--prompt <question>", "ask a question per scene instead of captioning")
      .option("--model <model_id>", "model id or directory", "Salesforce/blip2-opt-2.7b")
      .option("--beams <n>", "beam search width", (v) => Number.parseInt(v, 10))
      .option("--max-new-tokens <n>", "caption length limit", (v) => Number.parseInt(v, 10))
      .option("--no-wait", "return after submitting")
      .option("--timeout <seconds>", "give up waiting after this long", Number.parseFloat, 3600),
  ).action(async (sources: string[], flags: IngestFlags) => {
    const mx = clientFrom(flags);
    const submitted: Array<{ source: string; task_id: string }> = [];
    for (const source of sources) {
      if (!isUrl(source)) await stat(source).catch(() => { throw new Error(`${source}: no such file`); });
      // Local files stream to the server through a presigned upload; show the bytes going out on a terminal.
      const uploadBar = !isUrl(source) && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: "{bar} {percentage}% | uploading {source}", hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let uploadStarted = false;
      const result = await mx.collections
        .ingest({
          collection_id: flags.collection,
          source: isUrl(source) ? { url: source } : { path: source },
          feature_extractors: [{ name: "scene_description", version: "v1", params: extractorParams(flags) }],
          ...(uploadBar
            ? {
                onUploadProgress: (sent: number, total: number) => {
                  if (!uploadStarted) uploadBar.start(total, 0, { source });
                  uploadStarted = true;
                  uploadBar.update(sent);
                },
              }
            : {}),
        })
        .finally(() => uploadBar?.stop());
      submitted.push({ source, task_id: result.task_id });
      console.error(`${source} → task ${result.task_id} (collection ${result.collection_id})`);
    }
    if (!flags.wait) return;

    const bars = process.stderr.isTTY
      ? new cliProgress.MultiBar(
          { format: "{bar} {value}/{total} segments | {status} | {source}", hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
    let failed = 0;
    await Promise.all(
      submitted.map(async ({ source, task_id }) => {
        const bar = bars?.create(1, 0, { status: "PENDING", source });
        const task = await mx.tasks.wait(task_id, {
          timeout: flags.timeout * 1000,
          onProgress: (t) => {
            const p = progressOf(t);
            bar?.setTotal(Math.max(1, p.total));
            bar?.update(p.done, { status: t.status });
          },
        });
        const p = progressOf(task);
        bar?.setTotal(Math.max(1, p.total));
        bar?.update(p.done, { status: task.status });
        if (task.status !== "COMPLETED") failed++;
        const error = task.error ?? (task.additional_data as Record<string, unknown> | undefined)?.error;
        if (!bars) console.error(`${source}: ${task.status}${error ? ` — ${String(error)}` : ""}`);
        else if (error) bars.log(`${source}: ${String(error)}\n`);
      }),
    );
    bars?.stop();
    if (failed > 0) process.exitCode = 1;
  });
}
