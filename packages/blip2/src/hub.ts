import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { downloadFile, listFiles, type ListFileEntry } from "@huggingface/hub";
import { defaultModelsDir } from "./models-dir.js";

/** Default Hugging Face model id of the project. */
export const DEFAULT_MODEL_ID = "Salesforce/blip2-opt-2.7b";

/** Where a model id lives locally: `<modelsDir>/<owner>/<name>`. */
export function modelPath(modelId: string, modelsDir: string = defaultModelsDir()): string {
  checkModelId(modelId);
  return path.join(modelsDir, ...modelId.split("/"));
}

function checkModelId(modelId: string): void {
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(modelId) || modelId.includes("..")) {
    throw new Error(`invalid model id ${JSON.stringify(modelId)} (expected owner/name)`);
  }
}

/** The hub could not be reached (offline, DNS, refused). */
export class HubOfflineError extends Error {
  override readonly name = "HubOfflineError";
}

/** A downloaded file does not match the hub's size or sha256. */
export class DownloadIntegrityError extends Error {
  override readonly name = "DownloadIntegrityError";
}

export interface PullProgress {
  file: string;
  /** Bytes of this file on disk so far (resumed bytes included). */
  fileBytes: number;
  fileTotal: number;
  /** Bytes of all selected files on disk so far. */
  bytes: number;
  total: number;
  /** "skip" (already complete), "resume", "download", "verify", "done" */
  phase: "skip" | "resume" | "download" | "verify" | "done";
}

export interface PullOptions {
  /** @defaultValue `defaultModelsDir()` */
  modelsDir?: string;
  /** Branch, tag or commit. @defaultValue "main" */
  revision?: string;
  /** Hub base URL. @defaultValue `$HF_ENDPOINT`, else https://huggingface.co */
  hubUrl?: string;
  /** Access token for gated/private repos. @defaultValue `$HF_TOKEN` */
  accessToken?: string;
  onProgress?: (p: PullProgress) => void;
  /** Custom fetch (proxies, tests). */
  fetch?: typeof fetch;
}

export interface PullResult {
  modelDir: string;
  files: { path: string; size: number; downloaded: boolean }[];
}

const NEEDED = new Set([
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "processor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "model.safetensors.index.json",
]);

/** The files a checkpoint directory needs: configs, tokenizer files, safetensors (+ index). */
export function selectModelFiles(entries: readonly ListFileEntry[]): ListFileEntry[] {
  const files = entries.filter((e) => e.type === "file" && !e.path.includes("/"));
  const chosen = files.filter((e) => NEEDED.has(e.path) || e.path.endsWith(".safetensors"));
  if (!chosen.some((e) => e.path === "config.json")) throw new Error("the repository has no config.json");
  if (!chosen.some((e) => e.path.endsWith(".safetensors"))) {
    throw new Error("the repository has no .safetensors weights (pickled .bin checkpoints are not supported)");
  }
  return chosen;
}

function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const code = e?.cause?.code ?? (err as { code?: string })?.code;
  return (
    (e?.name === "TypeError" && /fetch failed/i.test(e.message ?? "")) ||
    ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"].includes(code ?? "")
  );
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

async function hashFile(file: string, hash = createHash("sha256")): Promise<ReturnType<typeof createHash>> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash;
}

/**
 * Download a checkpoint from the Hugging Face hub into `<modelsDir>/<model_id>/`: only the files a BLIP-2
 * checkpoint needs; each file is written to `<file>.part` and renamed when complete; an interrupted download
 * resumes with an HTTP Range request from the `.part` size; sizes (and the LFS sha256 when the hub gives one)
 * are checked. Files already complete are skipped.
 */
export async function pullModel(modelId: string, options: PullOptions = {}): Promise<PullResult> {
  const modelDir = modelPath(modelId, options.modelsDir ?? defaultModelsDir());
  const hubUrl = options.hubUrl ?? (process.env.HF_ENDPOINT || undefined);
  const accessToken = options.accessToken ?? (process.env.HF_TOKEN || undefined);
  const common = {
    repo: { type: "model" as const, name: modelId },
    revision: options.revision ?? "main",
    ...(hubUrl ? { hubUrl } : {}),
    ...(accessToken ? { accessToken } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const where = hubUrl ?? "https://huggingface.co";
  const offline = (err: unknown): never => {
    throw new HubOfflineError(
      `cannot reach the Hugging Face hub at ${where} (${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause?: Error }).cause!.message}` : ""}). ` +
        `Check the network (or HF_ENDPOINT), or copy the checkpoint directory to ${modelDir} by hand.`,
      { cause: err },
    );
  };

  let entries: ListFileEntry[] = [];
  try {
    for await (const e of listFiles(common)) entries.push(e);
  } catch (err) {
    if (isNetworkError(err)) offline(err);
    throw new Error(`cannot list ${modelId}@${common.revision} on ${where}: ${(err as Error).message}`, { cause: err });
  }
  entries = selectModelFiles(entries);
  const sizes = entries.map((e) => e.lfs?.size ?? e.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  await mkdir(modelDir, { recursive: true });

  let doneBytes = 0;
  const result: PullResult = { modelDir, files: [] };
  for (const [idx, entry] of entries.entries()) {
    const fileTotal = sizes[idx]!;
    const target = path.join(modelDir, entry.path);
    const part = `${target}.part`;
    const progress = (fileBytes: number, phase: PullProgress["phase"]): void =>
      options.onProgress?.({ file: entry.path, fileBytes, fileTotal, bytes: doneBytes + fileBytes, total, phase });

    if ((await sizeOf(target)) === fileTotal) {
      progress(fileTotal, "skip");
      doneBytes += fileTotal;
      result.files.push({ path: entry.path, size: fileTotal, downloaded: false });
      continue;
    }
    let have = (await sizeOf(part)) ?? 0;
    if (have > fileTotal) {
      await rm(part, { force: true });
      have = 0;
    }
    progress(have, have > 0 ? "resume" : "download");
    const expectedSha = entry.lfs?.oid && /^[0-9a-f]{64}$/.test(entry.lfs.oid) ? entry.lfs.oid : null;
    // the hash runs along with the download; a resumed file first hashes what is already on disk
    const hash = expectedSha ? (have > 0 ? await hashFile(part) : createHash("sha256")) : null;
    if (have < fileTotal) {
      let blob: Blob | null;
      try {
        blob = await downloadFile({ ...common, path: entry.path, xet: false });
      } catch (err) {
        if (isNetworkError(err)) offline(err);
        throw new Error(`cannot download ${entry.path}: ${(err as Error).message}`, { cause: err });
      }
      if (!blob) throw new Error(`${entry.path} disappeared from ${modelId}@${common.revision}`);
      const handle = await open(part, have > 0 ? "a" : "w");
      try {
        const reader = blob.slice(have).stream().getReader();
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw new Error(
              `download of ${entry.path} was interrupted at ${have} of ${fileTotal} bytes (${(err as Error).message}); run the pull again to resume`,
              { cause: err },
            );
          }
          if (chunk.done) break;
          const bytes = chunk.value as Uint8Array;
          await handle.write(bytes);
          hash?.update(bytes);
          have += bytes.byteLength;
          progress(have, "download");
        }
      } catch (err) {
        if (isNetworkError(err)) offline(err);
        throw err;
      } finally {
        await handle.close();
      }
    }
    if (have !== fileTotal) {
      throw new Error(`download of ${entry.path} ended at ${have} of ${fileTotal} bytes; run the pull again to resume`);
    }
    if (hash && expectedSha) {
      progress(have, "verify");
      const got = hash.digest("hex");
      if (got !== expectedSha) {
        await rm(part, { force: true });
        throw new DownloadIntegrityError(
          `${entry.path}: sha256 ${got} does not match the hub's ${expectedSha}; the partial file was removed, pull again`,
        );
      }
    }
    await rename(part, target);
    progress(fileTotal, "done");
    doneBytes += fileTotal;
    result.files.push({ path: entry.path, size: fileTotal, downloaded: true });
  }
  return result;
}
