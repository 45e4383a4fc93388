import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defineConfig, startServer } from "@scenecap/server";

describe("startServer", () => {
  it("wires store + local queue + blobs from config, seeds keys, listens, closes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "scenecap-start-"));
    const server = await startServer(
      defineConfig({ port: 0, host: "127.0.0.1", dataDir: dir, storeUrl: `sqlite:${path.join(dir, "db.sqlite")}`, blobDir: path.join(dir, "blobs"), apiKeys: ["sk_start_test_key_1"], logLevel: "silent" }),
      { handleSignals: false },
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await (await fetch(`${server.url}/v1/health`)).json();
      expect(health).toMatchObject({ status: "ok", store: "sqlite", queue: "local" });
      const unauth = await fetch(`${server.url}/v1/buckets/list`, { method: "POST" });
      expect(unauth.status).toBe(401);
      const ok = await fetch(`${server.url}/v1/buckets/list`, { method: "POST", headers: { authorization: "Bearer sk_start_test_key_1" } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { results: unknown[] }).results).toEqual([]);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
