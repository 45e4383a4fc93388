import { Redis } from "ioredis";
import type { BlobStore, CollectionStore } from "@scenecap/store";
import { createBlobStore, createStore } from "@scenecap/store";
import { loadWorkerConfig, type WorkerConfig } from "./config.js";
import { errorMessage } from "./errors.js";
import { CaptionerPool } from "./inference/captioner-pool.js";
import { buildHandlerMap } from "./jobs/catalogue.js";
import type { PipelineConfig } from "./pipeline/process-object.js";
import { createBullWorker, type BullRunner } from "./runners/bull.js";
import { createLocalRunner, type LocalRunner } from "./runners/local.js";

export interface StartWorkerDeps {
  /** Opens the store for `config.storeUrl` (default: the store package's factory). */
  openStore?: (url: string) => Promise<CollectionStore>;
  /** Opens the blob store for `config.blobDir` (default: the store package's local-disk blob store). */
  openBlobs?: (dir: string) => Promise<BlobStore> | BlobStore;
  /** @defaultValue console.error with a prefix */
  log?: (msg: string) => void;
  /** Install SIGTERM/SIGINT handlers that stop the worker. @defaultValue true */
  handleSignals?: boolean;
  /** Captioner loader module (tests). @defaultValue "@scenecap/blip2" */
  loaderModule?: string;
  /** Extra captioner loader options, e.g. `cacheDir` for built graphs. */
  loadOptions?: Record<string, unknown>;
}

export interface RunningWorker {
  readonly config: WorkerConfig;
  readonly captioners: CaptionerPool;
  readonly store: CollectionStore;
  /** Stop taking jobs, finish the active ones, close the captioners, the store and Redis. */
  stop(): Promise<void>;
  /** Resolves once the worker has stopped (signal or `stop()`). */
  readonly stopped: Promise<void>;
}

async function defaultOpenStore(url: string): Promise<CollectionStore> {
  return createStore(url); // applies pending migrations
}

/**
 * `scenecap worker`: reads the configuration (environment, once) unless given, opens the store and blob
 * store, starts the captioner pool and the runner (BullMQ when REDIS_URL is set, else the store's local
 * queue), and stops cleanly on SIGTERM/SIGINT.
 */
export async function startWorker(config: WorkerConfig = loadWorkerConfig(), deps: StartWorkerDeps = {}): Promise<RunningWorker> {
  const log = deps.log ?? ((msg: string) => console.error(`[scenecap worker] ${msg}`));
  buildHandlerMap(); // refuse to start when a job has no handler
  const store = await (deps.openStore ?? defaultOpenStore)(config.storeUrl);
  const blobs = await (deps.openBlobs ?? createBlobStore)(config.blobDir);
  const captioners = new CaptionerPool({
    device: config.device,
    precision: config.precision,
    batchSize: config.batchSize,
    batchWaitMs: config.batchWaitMs,
    ...(deps.loaderModule ? { loaderModule: deps.loaderModule } : {}),
    ...(deps.loadOptions ? { loadOptions: deps.loadOptions } : {}),
    log,
  });
  const pipeline: PipelineConfig = {
    modelsDir: config.modelsDir,
    allowPrivateNetworks: config.allowPrivateNetworks,
    fetch: { maxBytes: config.fetchMaxBytes, timeoutMs: config.fetchTimeoutMs },
  };
  let runner: BullRunner | LocalRunner;
  let redis: Redis | null = null;
  if (config.queue.kind === "bullmq") {
    redis = new Redis(config.queue.redisUrl, { maxRetriesPerRequest: null });
    redis.on("error", (err) => log(`redis: ${err.message}`));
    runner = createBullWorker({
      connection: redis,
      prefix: config.queue.prefix,
      concurrency: config.concurrency,
      store,
      blobs,
      captioners,
      config: pipeline,
      log,
    });
  } else {
    runner = createLocalRunner({ store, blobs, captioners, config: pipeline, concurrency: config.concurrency, leaseMs: config.leaseMs, log });
  }
  log(`started: ${config.queue.kind === "bullmq" ? `BullMQ (prefix ${config.queue.prefix})` : "local queue"}, ` +
    `concurrency ${config.concurrency}, device ${config.device}, precision ${config.precision}, batch ${config.batchSize}/${config.batchWaitMs} ms`);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | null = null;
  const onSignal = (sig: string) => {
    log(`${sig}: finishing active jobs, then exiting`);
    void stop();
  };
  const stop = () => {
    stopping ??= (async () => {
      try {
        await runner.close();
        await captioners.close();
        await store.close();
        await redis?.quit().catch(() => redis?.disconnect());
      } catch (err) {
        log(`shutdown: ${errorMessage(err)}`);
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolveStopped();
      }
    })();
    return stopping;
  };
  if (deps.handleSignals ?? true) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }
  return { config, captioners, store, stop, stopped };
}
