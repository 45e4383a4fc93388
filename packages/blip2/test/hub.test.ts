import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadIntegrityError, HubOfflineError, modelPath, pullModel, type PullProgress } from "../src/hub.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));
const MODEL_ID = "test-org/blip2-tiny";

/**
 * A mock of the Hugging Face hub (the external service we do not control): a local HTTP server answering the
 * hub's tree API and `resolve` URLs (with Range support) from the fixture directory.
 */
interface HubMock {
  url: string;
  requests: { path: string; range: string | undefined }[];
  /** Cut the connection after this many body bytes on the next full download of `file`. */
  cut: { file: string; after: number } | null;
  /** Override the sha256 the tree reports for a file. */
  fakeSha: Map<string, string>;
  close(): Promise<void>;
}

async function startHubMock(files: Map<string, Buffer>): Promise<HubMock> {
  const mock: HubMock = { url: "", requests: [], cut: null, fakeSha: new Map(), close: async () => {} };
  const prefix = `/api/models/${MODEL_ID}/tree/main`;
  const resolve = `/${MODEL_ID}/resolve/main/`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    mock.requests.push({ path: url.pathname, range: req.headers.range });
    if (url.pathname === prefix) {
      const tree = [...files].map(([p, data]) => {
        const sha = createHash("sha256").update(data).digest("hex");
        const isLfs = p.endsWith(".safetensors");
        return {
          type: "file",
          path: p,
          size: isLfs ? 134 : data.length,
          oid: createHash("sha1").update(data).digest("hex"),
          ...(isLfs ? { lfs: { oid: mock.fakeSha.get(p) ?? sha, size: data.length, pointerSize: 134 } } : {}),
        };
      });
      tree.push({ type: "directory", path: "onnx", size: 0, oid: "0" });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(tree));
      return;
    }
    if (url.pathname.startsWith(resolve)) {
      const name = decodeURIComponent(url.pathname.slice(resolve.length));
      const data = files.get(name);
      if (!data) {
        res.writeHead(404, { "X-Error-Code": "EntryNotFound" }).end("not found");
        return;
      }
      const etag = `"${createHash("sha1").update(data).digest("hex")}"`;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Number(range[2]) : data.length - 1;
        res.writeHead(206, {
          "content-range": `bytes ${start}-${end}/${data.length}`,
          "content-length": String(end - start + 1),
          etag,
        });
        res.end(data.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, { "content-length": String(data.length), etag });
      if (mock.cut && mock.cut.file === name) {
        const { after } = mock.cut;
        mock.cut = null;
        res.write(data.subarray(0, after), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(data);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock.close = () => new Promise((r) => server.close(() => r()));
  return mock;
}

describe("pullModel against a Hugging Face hub mock", () => {
  let hub: HubMock;
  let files: Map<string, Buffer>;
  let tmp: string;

  beforeAll(async () => {
    files = new Map();
    for (const f of [
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "processor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "vocab.json",
      "merges.txt",
      "model.safetensors",
      "README.md",
    ]) {
      files.set(f, await readFile(path.join(fixture, f)));
    }
    files.set("pytorch_model.bin", Buffer.from("pickled weights we never fetch"));
    hub = await startHubMock(files);
    tmp = await mkdtemp(path.join(os.tmpdir(), "blip2-hub-"));
  });
  afterAll(async () => {
    await hub.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it("downloads only the checkpoint files into <modelsDir>/<model_id>", async () => {
    const modelsDir = path.join(tmp, "a");
    const events: PullProgress[] = [];
    const res = await pullModel(MODEL_ID, { modelsDir, hubUrl: hub.url, onProgress: (p) => events.push(p) });
    expect(res.modelDir).toBe(modelPath(MODEL_ID, modelsDir));
    const got = (await readdir(res.modelDir)).sort();
    expect(got).toEqual([...files.keys()].filter((f) => f !== "README.md" && f !== "pytorch_model.bin").sort());
    for (const f of got) expect((await readFile(path.join(res.modelDir, f))).equals(files.get(f)!)).toBe(true);
    const last = events.at(-1)!;
    expect(last.bytes).toBe(last.total);
    expect(events.some((e) => e.file === "model.safetensors" && e.phase === "verify")).toBe(true);

    // a second pull skips complete files without downloading them again
    hub.requests.length = 0;
    const again = await pullModel(MODEL_ID, { modelsDir, hubUrl: hub.url });
    expect(again.files.every((f) => !f.downloaded)).toBe(true);
    expect(hub.requests.filter((r) => r.path.includes("/resolve/"))).toEqual([]);
  });

  it("resumes an interrupted download with a Range request from the .part size", async () => {
    const modelsDir = path.join(tmp, "b");
    const weights = files.get("model.safetensors")!;
    const cutAt = Math.floor(weights.length / 3);
    hub.cut = { file: "model.safetensors", after: cutAt };
    await expect(pullModel(MODEL_ID, { modelsDir, hubUrl: hub.url })).rejects.toThrow(/interrupted|ended at/);
    const dir = modelPath(MODEL_ID, modelsDir);
    const partSize = (await stat(path.join(dir, "model.safetensors.part"))).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(weights.length);

    hub.requests.length = 0;
    const res = await pullModel(MODEL_ID, { modelsDir, hubUrl: hub.url });
    expect(res.files.find((f) => f.path === "model.safetensors")!.downloaded).toBe(true);
    expect((await readFile(path.join(dir, "model.safetensors"))).equals(weights)).toBe(true);
    await expect(stat(path.join(dir, "model.safetensors.part"))).rejects.toThrow();
    const ranges = hub.requests.filter((r) => r.path.endsWith("/model.safetensors")).map((r) => r.range);
    expect(ranges).toContain(`bytes=${partSize}-${weights.length - 1}`);
  });

  it("rejects a file whose sha256 differs from the hub's LFS metadata", async () => {
    const modelsDir = path.join(tmp, "c");
    hub.fakeSha.set("model.safetensors", "0".repeat(64));
    try {
      await expect(pullModel(MODEL_ID, { modelsDir, hubUrl: hub.url })).rejects.toBeInstanceOf(DownloadIntegrityError);
      await expect(stat(path.join(modelPath(MODEL_ID, modelsDir), "model.safetensors"))).rejects.toThrow();
    } finally {
      hub.fakeSha.clear();
    }
  });

  it("says clearly when the hub cannot be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await pullModel(MODEL_ID, { modelsDir: path.join(tmp, "d"), hubUrl: `http://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubOfflineError);
    expect((err as Error).message).toMatch(/cannot reach the Hugging Face hub/);
  });

  it("rejects model ids that would escape the models directory", async () => {
    await expect(pullModel("../etc", { modelsDir: tmp, hubUrl: hub.url })).rejects.toThrow(/invalid model id/);
  });
});
