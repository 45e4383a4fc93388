import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubMock, type HubMock } from "./hub-mock.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));
const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the `scenecap-models` CLI from source, as a user would. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["--conditions=source", main, ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("scenecap-models CLI", () => {
  let tmp = "";
  let modelCopy = "";
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "blip2-cli-"));
    modelCopy = path.join(tmp, "model");
    await cp(fixture, modelCopy, { recursive: true });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("models verify passes on the fixture, one line per check", async () => {
    const manifest = JSON.parse(await readFile(path.join(fixture, "expected/manifest.json"), "utf8")) as { tensors: { name: string }[] };
    const r = await cli(["models", "verify", fixture, "--cache-dir", path.join(tmp, "verify-build")]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    for (const t of manifest.tensors) expect(lines.some((l) => l.startsWith(`PASS ${t.name}: `)), t.name).toBe(true);
    expect(lines.at(-1)).toMatch(/^(\d+)\/\1 checks passed$/);
    expect(r.stdout).toMatch(/PASS img0\.caption\.logits: max\|Δ\| \S+ ≤ \S+/);
  });

  it("models verify fails (exit 1) against a tampered fixture copy and names the failing checks", async () => {
    const tampered = path.join(tmp, "tampered");
    await cp(fixture, tampered, { recursive: true });
    const tok = path.join(tampered, "expected/img1.caption.greedy.new_tokens.bin");
    const buf = await readFile(tok);
    buf.writeBigInt64LE(buf.readBigInt64LE(8) + 1n, 8);
    await writeFile(tok, buf);
    const logits = path.join(tampered, "expected/img2.vqa.logits.bin");
    const lb = await readFile(logits);
    lb.writeFloatLE(lb.readFloatLE(40) + 0.5, 40);
    await writeFile(logits, lb);
    const r = await cli(["models", "verify", tampered, "--model", modelCopy, "--cache-dir", path.join(tmp, "verify-build")]);
    expect(r.code).toBe(1);
    const fails = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(fails.map((l) => l.split(":")[0])).toEqual(["FAIL img1.caption.greedy.new_tokens", "FAIL img2.vqa.logits"]);
    expect(fails[0]).toMatch(/tokens differ at 1/);
    expect(r.stdout).toMatch(/^(\d+)\/(?!\1)\d+ checks passed$/m);
  });

  it("caption prints the reference caption and answers questions", async () => {
    const img = path.join(fixture, "images/img0_pattern_320x240.png");
    const r = await cli(["caption", img, "--model", modelCopy, "--max-new-tokens", "12", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { text: string; tokenIds: number[] };
    const ref = await readFile(path.join(fixture, "expected/img0.caption.greedy.new_tokens.bin"));
    expect(out.tokenIds).toEqual([...new BigInt64Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + ref.byteLength))].map(Number));
    expect(r.stderr).toMatch(/execution provider/);
    const q = await cli(["caption", img, "--model", modelCopy, "--question", "what is in the picture?", "--beams", "2", "--max-new-tokens", "4"]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout.startsWith(`${img}\t`)).toBe(true);
  });

  it("caption fails clearly for a model that was never pulled and for bad arguments", async () => {
    const img = path.join(fixture, "images/img0_pattern_320x240.png");
    const missing = await cli(["caption", img, "--model", "nobody/none"], { SCENECAP_MODELS_DIR: path.join(tmp, "empty-models") });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/model nobody\/none is not downloaded .*run `scenecap models pull nobody\/none` first/);
    const noDir = await cli(["caption", img, "--model", path.join(tmp, "no-such-dir")]);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/neither a directory nor a model id/);
    const bad = await cli(["caption", img, "--beams", "zero"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--beams must be a positive integer/);
  });

  it("models build writes the graphs", async () => {
    const out = path.join(tmp, "built");
    const r = await cli(["models", "build", modelCopy, "--precision", "fp32", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/built: fp32 graphs in/);
    const again = await cli(["models", "build", modelCopy, "--out", out]);
    expect(again.stdout).toMatch(/up to date/);
  });

  describe("models pull (against a Hugging Face hub mock)", () => {
    let hub: HubMock;
    beforeAll(async () => {
      const files = new Map<string, Buffer>();
      for (const f of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "model.safetensors"]) {
        files.set(f, await readFile(path.join(fixture, f)));
      }
      hub = await startHubMock(files, "test-org/tiny");
    });
    afterAll(async () => {
      await hub.close();
    });

    it("downloads into $SCENECAP_MODELS_DIR/<model_id>", async () => {
      const modelsDir = path.join(tmp, "models");
      const r = await cli(["models", "pull", "test-org/tiny"], { HF_ENDPOINT: hub.url, SCENECAP_MODELS_DIR: modelsDir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/test-org\/tiny → .*models\/test-org\/tiny \(6 files, 6 downloaded\)/);
      expect(r.stderr).toMatch(/got  model\.safetensors \(\d+ bytes\)/);
      const weights = await readFile(path.join(modelsDir, "test-org/tiny/model.safetensors"));
      expect(weights.equals(await readFile(path.join(fixture, "model.safetensors")))).toBe(true);
    });

    it("exits 1 with a clear message when the hub is unreachable", async () => {
      const r = await cli(["models", "pull", "test-org/tiny"], { HF_ENDPOINT: "http://127.0.0.1:9", SCENECAP_MODELS_DIR: path.join(tmp, "m2") });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot reach the Hugging Face hub/);
    });
  });
});
