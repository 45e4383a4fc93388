import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig, startServer, type RunningServer } from "@scenecap/server";
import { loadWorkerConfig, startWorker, type RunningWorker } from "@scenecap/worker";

export interface DevOptions {
  /** @defaultValue 8080 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** @defaultValue "./scenecap-data" */
  dataDir?: string;
  /** @defaultValue $SCENECAP_API_KEY, else a key generated once and kept in `<data>/api-key` */
  apiKey?: string;
  /** @defaultValue $SCENECAP_MODELS_DIR or ~/.cache/scenecap/models */
  modelsDir?: string;
  /** @defaultValue "info" */
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Print worker messages. @defaultValue true */
  verbose?: boolean;
}

export interface RunningDev {
  url: string;
  apiKey: string;
  dataDir: string;
  server: RunningServer;
  worker: RunningWorker;
  close(): Promise<void>;
}

async function resolveApiKey(dataDir: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const file = path.join(dataDir, "api-key");
  try {
    const saved = (await readFile(file, "utf8")).trim();
    if (saved) return saved;
  } catch {
    // first run: generate below
  }
  const key = `sk_${randomBytes(24).toString("base64url")}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * Embedded mode: the API server and an in-process worker sharing one SQLite file and one blob directory
 * under the data directory, with the store's durable job queue instead of Redis (a restart resumes
 * unfinished jobs). Loopback/private sources are allowed here, and only here.
 */
export async function startDev(options: DevOptions = {}): Promise<RunningDev> {
  const dataDir = path.resolve(options.dataDir ?? "./scenecap-data");
  await mkdir(dataDir, { recursive: true });
  const apiKey = await resolveApiKey(dataDir, options.apiKey ?? process.env.SCENECAP_API_KEY);
  const storeUrl = `sqlite:${path.join(dataDir, "scenecap.db")}`;
  const blobDir = path.join(dataDir, "blobs");

  // Dev mode never uses REDIS_URL / DATABASE_URL from the environment: it is self-contained.
  const serverConfig = {
    ...loadConfig({ ...process.env, REDIS_URL: "", STORE_URL: "", DATABASE_URL: "", SCENECAP_QUEUE: "" }),
    port: options.port ?? 8080,
    host: options.host ?? "127.0.0.1",
    dataDir,
    storeUrl,
    blobDir,
    queue: { kind: "local" as const },
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  };
  // The dev key is the only user here, so it is also the admin key (`scenecap queue …`).
  serverConfig.adminApiKeys = [...serverConfig.adminApiKeys, apiKey];
  const workerConfig = {
    ...loadWorkerConfig({ ...process.env, REDIS_URL: "", STORE_URL: "", DATABASE_URL: "" }),
    queue: { kind: "local" as const },
    storeUrl,
    blobDir,
    allowPrivateNetworks: true,
    ...(options.modelsDir ? { modelsDir: path.resolve(options.modelsDir) } : {}),
  };

  const server = await startServer(serverConfig, { handleSignals: false });
  let worker: RunningWorker;
  try {
    worker = await startWorker(workerConfig, {
      handleSignals: false,
      log: options.verbose === false ? () => {} : (msg) => console.error(`[worker] ${msg}`),
    });
  } catch (err) {
    await server.close();
    throw err;
  }
  const url = server.url.replace("://0.0.0.0", "://localhost").replace("://127.0.0.1", "://localhost");
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await worker.stop(); // finish active jobs first; unfinished ones resume on the next start
      await server.close();
    })());
  return { url, apiKey, dataDir, server, worker, close };
}

export function registerDevCommand(program: Command): void {
  program
    .command("dev")
    .description("run the server and a worker in one process (SQLite, no Redis) — the embedded default")
    .option("-p, --port <port>", "port to listen on", (v) => Number.parseInt(v, 10), 8080)
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--data <dir>", "data directory (SQLite file, blobs, API key)", "./scenecap-data")
    .option("--api-key <key>", "API key to accept (default: generated once and kept in the data directory)")
    .option("--models-dir <dir>", "models directory (default $SCENECAP_MODELS_DIR or ~/.cache/scenecap/models)")
    .option("--log-level <level>", "server log level", "warn")
    .action(async (opts: { port: number; host: string; data: string; apiKey?: string; modelsDir?: string; logLevel: DevOptions["logLevel"] }) => {
      const dev = await startDev({
        port: opts.port,
        host: opts.host,
        dataDir: opts.data,
        ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
        ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      });
      console.log(`scenecap dev is running
  base URL: ${dev.url}
  API key:  ${dev.apiKey}
  data:     ${dev.dataDir}

  export SCENECAP_BASE_URL=${dev.url} SCENECAP_API_KEY=${dev.apiKey}
  scenecap ingest ./video.mp4 --collection my-videos
  scenecap search my-videos "a person walking"`);
      const onSignal = (sig: string) => {
        console.error(`${sig}: finishing active jobs, then exiting`);
        dev.close().then(() => process.exit(0), (err: unknown) => {
          console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        });
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    });
}
