/**
 * The README's seed call end to end: examples/ingest-video.ts and examples/visual-qa.ts run as programs
 * against the real server, while an in-process embedded worker (the store's local queue, real ffmpeg, the
 * real captioner on the tiny BLIP-2 checkpoint) processes the jobs. The tiny checkpoint stands in for
 * Salesforce/blip2-opt-2.7b: it is installed under that model id in a temporary models directory.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaptionerPool, createLocalRunner } from "@scenecap/worker";
import type { LocalRunner } from "@scenecap/worker";
import { Mixpeek } from "mixpeek";
import { startTestServer } from "./server-fixture.js";
import type { RunningTestServer } from "./server-fixture.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = join(root, "node_modules/.bin/tsx");
const TINY_MODEL_DIR = join(root, "packages/blip2/test/fixtures/blip2-tiny");

let srv: RunningTestServer;
let pool: CaptionerPool;
let runner: LocalRunner;
let media: Server;
let clipUrl: string;

beforeAll(async () => {
  srv = await startTestServer();
  const models = join(srv.dir, "models");
  mkdirSync(join(models, "Salesforce"), { recursive: true });
  symlinkSync(TINY_MODEL_DIR, join(models, "Salesforce", "blip2-opt-2.7b"), "dir");

  // A 4-second generated clip served over HTTP, as a video URL would be.
  const clip = join(srv.dir, "clip.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "4", "-pix_fmt", "yuv420p", "-y", clip]);
  const bytes = readFileSync(clip);
  media = createHttpServer((req, res) => {
    if (req.url !== "/clip.mp4") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "video/mp4", "content-length": bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => media.listen(0, "127.0.0.1", resolve));
  clipUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}/clip.mp4`;

  pool = new CaptionerPool({ loadOptions: { cacheDir: join(srv.dir, "onnx-cache") } });
  runner = createLocalRunner({
    store: srv.store,
    blobs: srv.blobs,
    captioners: pool,
    config: { modelsDir: models, allowPrivateNetworks: true },
    pollMs: 50,
  });
});

afterAll(async () => {
  await runner?.close();
  await pool?.close();
  await new Promise((resolve) => (media ? media.close(resolve) : resolve(undefined)));
  await srv?.close();
});

async function example(file: string, args: string[]) {
  return run(tsx, ["--conditions=source", `examples/${file}`, ...args], {
    cwd: root,
    env: { ...process.env, SCENECAP_BASE_URL: srv.baseUrl, SCENECAP_API_KEY: srv.apiKey },
    timeout: 180_000,
  });
}

describe("examples through the whole pipeline", () => {
  it("ingest-video.ts: ingest → wait → one captioned scene per segment", async () => {
    const { stdout } = await example("ingest-video.ts", [clipUrl]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^task [0-9a-f-]{36}: object obj_\w+ → collection col_\w+$/);
    expect(lines.some((l) => /^ {2}COMPLETED/.test(l))).toBe(true);
    const scenes = lines.filter((l) => /^\d+:\d{2}\.\d–\d+:\d{2}\.\d {2}/.test(l));
    expect(scenes.length).toBeGreaterThanOrEqual(1);

    // What the program printed is what the collection holds.
    const mx = new Mixpeek({ apiKey: srv.apiKey, baseUrl: srv.baseUrl });
    const docs = (await mx.documents.list("my-collection", { limit: 100 })).results;
    expect(docs).toHaveLength(scenes.length);
    for (const doc of docs) {
      expect(typeof doc.description).toBe("string");
      expect(scenes.some((l) => l.endsWith(`  ${doc.description}`))).toBe(true);
    }
    expect(Math.max(...docs.map((d) => d.end_time ?? 0))).toBeCloseTo(4, 0);
  });

  it("visual-qa.ts: one answer per scene, in a collection of its own", async () => {
    const { stdout } = await example("visual-qa.ts", [clipUrl, "What is shown?"]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^Q: What is shown\? {2}\(task [0-9a-f-]{36}, collection visual-qa-[0-9a-f]{10}\)$/);
    const answers = lines.filter((l) => /^\d+\.\ds–\d+\.\ds {2}A: /.test(l));
    expect(answers.length).toBeGreaterThanOrEqual(1);
    const mx = new Mixpeek({ apiKey: srv.apiKey, baseUrl: srv.baseUrl });
    const name = /collection (visual-qa-[0-9a-f]{10})/.exec(lines[0]!)![1]!;
    const collection = await mx.collections.get(name);
    expect(collection.feature_extractor?.parameters).toMatchObject({ prompt: "What is shown?" });
  });
});
