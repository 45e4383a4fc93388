/** The programs in examples/ run as users run them (tsx, env vars, argv) against the real server. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mixpeek } from "mixpeek";
import { startTestServer } from "./server-fixture.js";
import type { RunningTestServer } from "./server-fixture.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

let srv: RunningTestServer;

/** Runs `examples/<file>`; resolves `mixpeek` to the SDK sources (the `source` export condition), no build needed. */
async function example(file: string, args: string[], env: Record<string, string | undefined>) {
  try {
    const { stdout, stderr } = await run(tsx, ["--conditions=source", `examples/${file}`, ...args], {
      cwd: root,
      env: { ...process.env, SCENECAP_BASE_URL: srv.baseUrl, SCENECAP_API_KEY: srv.apiKey, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

describe("examples", () => {
  it("search.ts prints score, time range and caption of the matching scenes", async () => {
    const mx = new Mixpeek({ apiKey: srv.apiKey, baseUrl: srv.baseUrl });
    const { collection_id } = await mx.collections.ingest({
      collection_id: "my-collection",
      source: { url: "https://example.com/video.mp4" },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b" } }],
    });
    await mx.documents.create(collection_id, { start_time: 62.5, end_time: 70, description: "a dog running on the beach" });
    await mx.documents.create(collection_id, { start_time: 0, end_time: 10, description: "a kitchen with a red kettle" });

    const res = await example("search.ts", ["dog beach"], {});
    expect(res.stderr).not.toMatch(/Error/);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^\d+\.\d{3} {2}1:02\.5–1:10\.0 {2}a dog running on the beach$/);
    expect(res.stdout).not.toContain("kettle");

    const none = await example("search.ts", ["submarine"], {});
    expect(none.stdout.trim()).toBe('no scene of my-collection matches "submarine"');
  });

  it("publish-search.ts publishes once and searches by the public name, streamed, showing only exposed fields", async () => {
    const mx = new Mixpeek({ apiKey: srv.apiKey, baseUrl: srv.baseUrl });
    const { collection_id } = await mx.collections.ingest({
      collection_id: "shop-clips",
      source: { url: "https://example.com/shop.mp4" },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b" } }],
    });
    await mx.documents.create(collection_id, { start_time: 62.5, end_time: 70, description: "a dog running on the beach" });
    await mx.documents.create(collection_id, { start_time: 0, end_time: 10, description: "a kitchen with a red kettle" });

    for (const run of [1, 2]) {
      const res = await example("publish-search.ts", ["dog beach", "shop-clips"], {});
      expect(res.stderr, `run ${run}`).not.toMatch(/Error/);
      expect(res.code).toBe(0);
      expect(res.stdout.trim().split("\n")).toEqual([
        `public search: POST ${srv.baseUrl}/v1/public/retrievers/shop-clips-search/execute`,
        "stage captions: 1 matches",
        "1:02.5–1:10.0  a dog running on the beach",
      ]);
    }
    const published = await mx.retrievers.getPublished("shop-clips-search");
    expect(published.display_config).toEqual({ exposed_fields: ["description", "start_time", "end_time", "thumbnail_url"] });
  });

  it("search.ts reports a missing collection as a NotFoundError and exits 1", async () => {
    const res = await example("search.ts", ["dog", "no-such-collection"], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^NotFoundError: 404 /);
  });

  it("examples print their usage and exit 2 without arguments or key", async () => {
    for (const file of ["ingest-video.ts", "search.ts", "visual-qa.ts", "publish-search.ts"]) {
      const noArgs = await example(file, [], {});
      expect(noArgs.code).toBe(2);
      expect(noArgs.stderr).toContain(`usage: SCENECAP_API_KEY=<key> npx tsx examples/${file}`);
    }
    const noKey = await example("ingest-video.ts", ["https://example.com/v.mp4"], { SCENECAP_API_KEY: "" });
    expect(noKey.code).toBe(2);
  });

  it("a wrong key is reported as an AuthenticationError", async () => {
    const res = await example("ingest-video.ts", ["https://example.com/v.mp4"], { SCENECAP_API_KEY: "sk_wrong" });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^AuthenticationError: 401 /);
  });
});
