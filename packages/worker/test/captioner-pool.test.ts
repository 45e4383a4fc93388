import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CaptionerPool } from "../src/inference/captioner-pool.js";
import type { BatchInfo } from "../src/inference/batcher.js";

// Test double of the Captioner interface (see the fixture); the real model runs in the pipeline tests.
const fakeLoader = fileURLToPath(new URL("./fixtures/fake-captioner.ts", import.meta.url));

function frame(value: number, w = 4, h = 2) {
  return { data: new Uint8Array(w * h * 3).fill(value), width: w, height: h, channels: 3 as const };
}

describe("CaptionerPool", () => {
  let pool: CaptionerPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it("batches frames of concurrent jobs with identical options and keeps results in order", async () => {
    pool = new CaptionerPool({ loaderModule: fakeLoader, batchSize: 8, batchWaitMs: 50 });
    const batches: BatchInfo[] = [];
    pool.onBatch((b) => batches.push(b));
    await pool.warm("/models/a");
    const [a, b] = await Promise.all([
      pool.run({ modelDir: "/models/a", options: { maxNewTokens: 5 } }, [frame(10), frame(20)], "job-a"),
      pool.run({ modelDir: "/models/a", options: { maxNewTokens: 5 } }, [frame(30)], "job-b"),
    ]);
    expect(a.map((r) => r.text)).toEqual(["image 4x2 mean 10 (max 5)", "image 4x2 mean 20 (max 5)"]);
    expect(b.map((r) => r.text)).toEqual(["image 4x2 mean 30 (max 5)"]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.size).toBe(3);
    expect(batches[0]!.origins).toEqual(["job-a", "job-b"]);
  });

  it("never mixes different generation options or questions in one batch", async () => {
    pool = new CaptionerPool({ loaderModule: fakeLoader, batchSize: 8, batchWaitMs: 30 });
    const batches: BatchInfo[] = [];
    pool.onBatch((b) => batches.push(b));
    const [a, b, c] = await Promise.all([
      pool.run({ modelDir: "/models/a", options: { maxNewTokens: 5 } }, [frame(1)], "a"),
      pool.run({ modelDir: "/models/a", options: { maxNewTokens: 6 } }, [frame(2)], "b"),
      pool.run({ modelDir: "/models/a", question: "what?", options: { maxNewTokens: 5 } }, [frame(3)], "c"),
    ]);
    expect(a[0]!.text).toBe("image 4x2 mean 1 (max 5)");
    expect(b[0]!.text).toBe("image 4x2 mean 2 (max 6)");
    expect(c[0]!.text).toBe('answer to "what?": image 4x2 mean 3 (max 5)');
    expect(batches.map((x) => x.size)).toEqual([1, 1, 1]);
  });

  it("splits at the maximum batch size", async () => {
    pool = new CaptionerPool({ loaderModule: fakeLoader, batchSize: 2, batchWaitMs: 1000 });
    const sizes: number[] = [];
    pool.onBatch((b) => sizes.push(b.size));
    const out = await pool.run({ modelDir: "/models/a", options: {} }, [frame(1), frame(2), frame(3), frame(4), frame(5)], "x");
    expect(out.map((r) => r.text)).toEqual([1, 2, 3, 4, 5].map((v) => `image 4x2 mean ${v}`));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it("reports a model that cannot load as a permanent error", async () => {
    pool = new CaptionerPool({ loaderModule: fakeLoader });
    await expect(pool.run({ modelDir: "/models/missing", options: {} }, [frame(1)])).rejects.toMatchObject({
      name: "PermanentJobError",
      code: "missing_model",
    });
  });
});
