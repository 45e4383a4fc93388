import type { FastifyInstance } from "fastify";
import { createBlobStore, createStore } from "@scenecap/store";
import { seedApiKeys } from "./auth.js";
import { createServer } from "./app.js";
import { loadConfig, type ServerConfig } from "./config.js";
import { BullJobQueue, LocalJobQueue, type JobQueue } from "./queue.js";

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Wires store + queue + blob directory from config, seeds configured API keys, listens, and closes
 * everything on SIGTERM/SIGINT (unless `handleSignals: false`).
 */
export async function startServer(config: ServerConfig = loadConfig(), opts: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const store = await createStore(config.storeUrl);
  let queue: JobQueue | undefined;
  let app: FastifyInstance | undefined;
  try {
    await seedApiKeys(store, [...config.apiKeys, ...config.adminApiKeys]);
    const blobs = createBlobStore(config.blobDir);
    app = createServer({ store, queue: (queue = makeQueue(config, store)), blobs, config, logger: { level: config.logLevel } });
    const url = await app.listen({ port: config.port, host: config.host });
    app.log.info({ store: store.kind, queue: queue.kind, blobDir: config.blobDir }, "scenecap server ready");
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await app!.close();
        await queue!.close();
        await store.close();
      })());
    if (opts.handleSignals !== false) {
      const onSignal = (sig: string) => {
        app!.log.info({ sig }, "shutting down");
        close().then(() => process.exit(0), (err) => {
          app!.log.error({ err }, "shutdown failed");
          process.exit(1);
        });
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    }
    return { app, url, close };
  } catch (err) {
    await app?.close().catch(() => {});
    await queue?.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}

function makeQueue(config: ServerConfig, store: Awaited<ReturnType<typeof createStore>>): JobQueue {
  if (config.queue.kind === "bullmq") {
    return new BullJobQueue({ redisUrl: config.queue.redisUrl, prefix: config.queue.prefix, onError: (err) => console.error(`queue error: ${err.message}`) });
  }
  return new LocalJobQueue(store);
}
