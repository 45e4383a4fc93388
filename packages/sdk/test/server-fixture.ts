import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createApiKey, createServer, defineConfig, LocalJobQueue } from "@scenecap/server";
import { createBlobStore, createStore } from "@scenecap/store";
import type { BlobStore, CollectionStore } from "@scenecap/store";

export interface RunningTestServer {
  baseUrl: string;
  apiKey: string;
  store: CollectionStore;
  blobs: BlobStore;
  dir: string;
  close(): Promise<void>;
}

/**
 * The real scenecap server on an ephemeral port: SQLite `:memory:` store, blobs in a fresh temp dir, the
 * store's local job queue (no worker runs, so tasks stay queued). Each call is fully isolated.
 */
export async function startTestServer(): Promise<RunningTestServer> {
  const dir = mkdtempSync(join(tmpdir(), "mixpeek-sdk-server-"));
  const store = await createStore("sqlite::memory:");
  const config = defineConfig({ dataDir: dir, blobDir: join(dir, "blobs"), storeUrl: "sqlite::memory:", queue: { kind: "local" } });
  const blobs = createBlobStore(config.blobDir);
  const server = createServer({ store, queue: new LocalJobQueue(store), blobs, config });
  await server.listen({ port: 0, host: "127.0.0.1" });
  const { port } = server.server.address() as AddressInfo;
  const key = await createApiKey(store, "sdk-tests");
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: key.secret,
    store,
    blobs,
    dir,
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
