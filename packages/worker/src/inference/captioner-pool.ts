import { Worker } from "node:worker_threads";
import type { CaptionResult, GenerateOptions } from "@scenecap/blip2";
import { PermanentJobError } from "../errors.js";
import { Batcher, type BatchInfo } from "./batcher.js";
import type { FromThread, RawImage, ThreadInit, ToThread } from "./thread-protocol.js";

export interface CaptionerPoolOptions {
  /** @defaultValue "auto" */
  device?: string;
  /** @defaultValue "fp32" */
  precision?: string;
  /** Largest batch handed to the model. @defaultValue 8 */
  batchSize?: number;
  /** How long the first request of a batch waits for company. @defaultValue 20 */
  batchWaitMs?: number;
  /** Module exporting the captioner loader, resolved from the thread. @defaultValue "@scenecap/blip2" */
  loaderModule?: string;
  /** @defaultValue "loadCaptioner" */
  loaderExport?: string;
  log?: (msg: string) => void;
  /** Extra serialisable loader options (e.g. `cacheDir` for built graphs). */
  loadOptions?: Record<string, unknown>;
}

/** What a job asks for: caption (no question) or VQA answer, with generation options. */
export interface CaptionRequest {
  modelDir: string;
  question?: string | undefined;
  options: GenerateOptions;
}

interface BatchItem {
  image: RawImage;
}

interface ThreadHandle {
  worker: Worker;
  ready: Promise<{ device: string; precision: string }>;
  pending: Map<number, { resolve: (r: CaptionResult[]) => void; reject: (e: Error) => void }>;
}

const threadEntry = (() => {
  const self = import.meta.url;
  // Running from TypeScript sources (tests, tsx): the thread registers tsx first, then imports the .ts entry,
  // and resolves workspace packages to their sources like the main thread does.
  if (self.endsWith(".ts")) {
    return {
      url: new URL("./ts-thread-bootstrap.mjs", self),
      entry: new URL("./captioner-thread.ts", self).href,
      execArgv: ["--conditions=source"],
    };
  }
  return { url: new URL("./captioner-thread.js", self), entry: null, execArgv: [] as string[] };
})();

/**
 * Captioner threads (one per model dir × device × precision, loaded once) behind one batching queue shared
 * by every job of the process. Requests with the same model and identical generation options are batched
 * together, whichever job they come from.
 */
export class CaptionerPool {
  private readonly threads = new Map<string, ThreadHandle>();
  private readonly batcher: Batcher<BatchItem, CaptionResult>;
  private nextId = 1;
  readonly device: string;
  readonly precision: string;
  private readonly loaderModule: string;
  private readonly loaderExport: string;
  private readonly log: (msg: string) => void;
  private readonly loadOptions: Record<string, unknown>;

  constructor(opts: CaptionerPoolOptions = {}) {
    this.device = opts.device ?? "auto";
    this.precision = opts.precision ?? "fp32";
    this.loaderModule = opts.loaderModule ?? "@scenecap/blip2";
    this.loaderExport = opts.loaderExport ?? "loadCaptioner";
    this.log = opts.log ?? (() => {});
    this.loadOptions = opts.loadOptions ?? {};
    this.batcher = new Batcher((key, items) => this.runBatch(key, items), {
      maxBatchSize: opts.batchSize ?? 8,
      maxWaitMs: opts.batchWaitMs ?? 20,
    });
  }

  /** Observe every batch sent to a model (sizes, which jobs shared it). */
  onBatch(listener: (b: BatchInfo) => void): () => void {
    return this.batcher.onBatch(listener);
  }

  /** Loads the model (once) and reports the device it runs on. Fails with a permanent error if it cannot load. */
  async warm(modelDir: string): Promise<{ device: string; precision: string }> {
    return this.thread(modelDir).ready;
  }

  /**
   * Captions (or answers `question` about) the images. `origin` tags the requests (a job id) so batch
   * observers can see which jobs shared a batch. The pixel buffers are transferred to the model thread:
   * the caller must not use them afterwards.
   */
  async run(req: CaptionRequest, images: RawImage[], origin = ""): Promise<CaptionResult[]> {
    await this.warm(req.modelDir);
    const key = JSON.stringify([req.modelDir, req.question ?? null, sortKeys(req.options)]);
    return this.batcher.submitMany(key, images.map((image) => ({ image })), origin);
  }

  private threadKey(modelDir: string): string {
    return `${modelDir}\u0000${this.device}\u0000${this.precision}`;
  }

  private thread(modelDir: string): ThreadHandle {
    const key = this.threadKey(modelDir);
    const existing = this.threads.get(key);
    if (existing) return existing;
    const init: ThreadInit = {
      loaderModule: this.loaderModule,
      loaderExport: this.loaderExport,
      modelDir,
      device: this.device,
      precision: this.precision,
      loadOptions: this.loadOptions,
    };
    const worker = new Worker(threadEntry.url, {
      workerData: threadEntry.entry ? { ...init, __entry: threadEntry.entry } : init,
      execArgv: threadEntry.execArgv,
    });
    const pending: ThreadHandle["pending"] = new Map();
    let settleReady!: { resolve: (v: { device: string; precision: string }) => void; reject: (e: Error) => void };
    const ready = new Promise<{ device: string; precision: string }>((resolve, reject) => {
      settleReady = { resolve, reject };
    });
    ready.catch(() => {}); // observed by callers; avoid an unhandled rejection when nobody waits
    const fail = (err: Error) => {
      this.threads.delete(key);
      settleReady.reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on("message", (msg: FromThread) => {
      switch (msg.type) {
        case "ready":
          this.log(`captioner ready: ${modelDir} on ${msg.device} (${msg.precision})`);
          settleReady.resolve({ device: msg.device, precision: msg.precision });
          break;
        case "load_error":
          fail(new PermanentJobError("missing_model", `cannot load the model in ${modelDir}: ${msg.message}`));
          void worker.terminate();
          break;
        case "result":
          pending.get(msg.id)?.resolve(msg.results);
          pending.delete(msg.id);
          break;
        case "run_error":
          pending.get(msg.id)?.reject(new Error(`captioning failed: ${msg.message}`));
          pending.delete(msg.id);
          break;
        case "closed":
          break;
      }
    });
    worker.on("error", (err) => fail(new Error(`captioner thread crashed: ${err.message}`)));
    worker.on("exit", (code) => fail(new Error(`captioner thread exited (code ${code})`)));
    const handle: ThreadHandle = { worker, ready, pending };
    this.threads.set(key, handle);
    return handle;
  }

  private async runBatch(key: string, items: BatchItem[]): Promise<CaptionResult[]> {
    const [modelDir, question, options] = JSON.parse(key) as [string, string | null, GenerateOptions];
    const handle = this.thread(modelDir);
    await handle.ready;
    const id = this.nextId++;
    const images = items.map((it) => it.image);
    const transfer = [...new Set(images.map((im) => im.data.buffer as ArrayBuffer))];
    const msg: ToThread = question === null
      ? { type: "run", id, mode: "caption", images, options }
      : { type: "run", id, mode: "answer", question, images, options };
    return new Promise<CaptionResult[]>((resolve, reject) => {
      handle.pending.set(id, { resolve, reject });
      handle.worker.postMessage(msg, transfer);
    });
  }

  /** Stops accepting work, waits for the batch in flight, disposes every captioner and ends the threads. */
  async close(): Promise<void> {
    await this.batcher.close();
    await Promise.all([...this.threads.values()].map(async (t) => {
      const exited = new Promise<void>((resolve) => t.worker.once("exit", () => resolve()));
      t.worker.postMessage({ type: "close" } satisfies ToThread);
      const timer = setTimeout(() => void t.worker.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    }));
    this.threads.clear();
  }
}

/** Copies pixels into their own ArrayBuffer when they share one (Buffer pools), so they can be transferred. */
export function ownedImage(frame: { data: Uint8Array; width: number; height: number }): RawImage {
  const d = frame.data;
  const owned = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer
    ? new Uint8Array(d.buffer, 0, d.byteLength)
    : new Uint8Array(d);
  return { data: owned, width: frame.width, height: frame.height, channels: 3 };
}

function sortKeys(o: GenerateOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
