import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubMock, type HubMock } from "./hub-mock.js";
import { DownloadIntegrityError, HubOfflineError, modelPath, pullModel, type PullProgress } from "../src/hub.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));
const MODEL_ID = "test-org/blip2-tiny";

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
    hub = await startHubMock(files, MODEL_ID);
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
