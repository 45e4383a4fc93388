import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The tiny BLIP-2 checkpoint of the blip2 package (a real model, a few MB), used as `model_id` by path. */
export const TINY_MODEL_DIR = fileURLToPath(new URL("../../../blip2/test/fixtures/blip2-tiny", import.meta.url));

/** Test double of the Captioner interface, for queue-logic tests only. */
export const FAKE_LOADER = fileURLToPath(new URL("../fixtures/fake-captioner.ts", import.meta.url));

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `scenecap-worker-${prefix}-`));
}

export const uniq = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
