import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTokenizer, type TextTokenizer } from "../src/tokenizer.js";

const fixture = fileURLToPath(new URL("./fixtures/blip2-tiny/", import.meta.url));

interface Manifest {
  prompts: Record<string, { text: string | null }>;
  special_ids: { bos_token_id: number; image_token_index: number; eos_token_id: number };
  tensors: { name: string; file: string; shape: number[] }[];
  decoded_text: Record<string, unknown>;
}

async function manifest(): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(fixture, "expected/manifest.json"), "utf8")) as Manifest;
}
async function readI64(file: string): Promise<number[]> {
  const buf = await readFile(path.join(fixture, file));
  return [...new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))].map(Number);
}

async function checkAgainstManifest(tok: TextTokenizer): Promise<void> {
  const m = await manifest();
  for (const [name, prompt] of Object.entries(m.prompts)) {
    const t = m.tensors.find((x) => x.name === `${name}.text_input_ids`)!;
    const expected = await readI64(t.file);
    expect(tok.encode(prompt.text ?? ""), name).toEqual(expected);
  }
  // Decoding the generated tokens reproduces the reference strings (special tokens skipped, no trimming).
  for (const [key, value] of Object.entries(m.decoded_text)) {
    if (Array.isArray(value) || !key.endsWith(".greedy")) continue;
    const entry = m.tensors.find((x) => x.name === `${key}.new_tokens`)!;
    const ids = await readI64(entry.file);
    expect(tok.decode(ids), key).toBe((value as { new_tokens_decoded: string }).new_tokens_decoded);
    const seq = await readI64(m.tensors.find((x) => x.name === `${key}.sequences`)!.file);
    expect(tok.decode(seq), key).toBe((value as { sequence_decoded: string }).sequence_decoded);
  }
}

describe("tokenizer from tokenizer.json", () => {
  it("encodes the manifest prompts and decodes the reference texts", async () => {
    const tok = await loadTokenizer(fixture);
    await checkAgainstManifest(tok);
  });

  it("knows BOS and the special ids, and keeps specials when asked", async () => {
    const m = await manifest();
    const tok = await loadTokenizer(fixture);
    expect(tok.bosTokenId).toBe(m.special_ids.bos_token_id);
    expect(tok.specialIds.has(m.special_ids.image_token_index)).toBe(true);
    expect(tok.decode([m.special_ids.bos_token_id], { skipSpecialTokens: false })).toBe("</s>");
    expect(tok.decode([m.special_ids.bos_token_id])).toBe("");
    expect(tok.encode("\n")).toEqual([m.special_ids.bos_token_id, m.special_ids.eos_token_id]);
  });
});

describe("tokenizer from vocab.json + merges.txt", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "blip2-tok-"));
    for (const f of ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"]) {
      await copyFile(path.join(fixture, f), path.join(dir, f));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds the same tokenizer without tokenizer.json", async () => {
    await checkAgainstManifest(await loadTokenizer(dir));
  });

  it("fails clearly when there is no tokenizer at all", async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), "blip2-tok-empty-"));
    try {
      await writeFile(path.join(empty, "tokenizer_config.json"), "{}");
      await expect(loadTokenizer(empty)).rejects.toThrow(/expected tokenizer.json, or vocab.json and merges.txt/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
