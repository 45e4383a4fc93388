import { readFile } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

/**
 * The checkpoint's byte-level BPE tokenizer (OPT/GPT-2 style), run by `@huggingface/tokenizers` from
 * `tokenizer.json`, or from `vocab.json` + `merges.txt` (+ `tokenizer_config.json` / `added_tokens.json`) when the
 * checkpoint ships no `tokenizer.json`.
 */
export interface TextTokenizer {
  /** Token ids of `text`, BOS first when the checkpoint adds it (`add_bos_token`). */
  encode(text: string): number[];
  /** Decode ids; special tokens are skipped by default. Not trimmed. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Id of a token string (e.g. `"</s>"`), or undefined. */
  tokenToId(token: string): number | undefined;
  readonly bosTokenId: number | null;
  readonly specialIds: ReadonlySet<number>;
}

type Json = Record<string, unknown>;

async function readJson(file: string): Promise<Json | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Json;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${path.basename(file)}: ${(err as Error).message}`);
  }
}

const tokenContent = (t: unknown): string | undefined =>
  typeof t === "string" ? t : t && typeof t === "object" && typeof (t as Json).content === "string" ? ((t as Json).content as string) : undefined;

/**
 * Assemble a `tokenizer.json` document (BPE model, byte-level pre-tokenizer and decoder, BOS template) from the
 * slow-tokenizer files, the way `GPT2TokenizerFast` converts them.
 */
function tokenizerJsonFromVocab(vocab: Record<string, number>, mergesText: string, config: Json, added: Json | null): Json {
  const merges = mergesText
    .split(/\r?\n/)
    .filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith("#version")));
  const addedTokens = new Map<number, { content: string; special: boolean }>();
  const decoderMap = (config.added_tokens_decoder ?? {}) as Record<string, Json>;
  for (const [id, t] of Object.entries(decoderMap)) {
    const content = tokenContent(t);
    if (content !== undefined) addedTokens.set(Number(id), { content, special: t.special !== false });
  }
  for (const [content, id] of Object.entries(added ?? {})) {
    if (typeof id === "number" && !addedTokens.has(id)) addedTokens.set(id, { content, special: true });
  }
  for (const key of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
    const content = tokenContent(config[key]);
    if (content !== undefined && vocab[content] !== undefined && !addedTokens.has(vocab[content]!)) {
      addedTokens.set(vocab[content]!, { content, special: true });
    }
  }
  const fullVocab = { ...vocab };
  for (const [id, t] of addedTokens) fullVocab[t.content] = id;
  const bos = tokenContent(config.bos_token);
  const addBos = config.add_bos_token !== false && bos !== undefined && fullVocab[bos] !== undefined;
  const addPrefixSpace = config.add_prefix_space === true;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...addedTokens].map(([id, t]) => ({
      id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: addBos
      ? {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bos, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { [bos]: { id: bos, ids: [fullVocab[bos]], tokens: [bos] } },
        }
      : { type: "ByteLevel", add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: fullVocab,
      merges,
    },
  };
}

class HfTextTokenizer implements TextTokenizer {
  readonly bosTokenId: number | null;
  readonly specialIds: ReadonlySet<number>;
  constructor(private readonly tok: Tokenizer, config: Json) {
    const bos = tokenContent(config.bos_token);
    this.bosTokenId = bos !== undefined ? (tok.token_to_id(bos) ?? null) : null;
    const special = new Set<number>();
    for (const [id, t] of tok.get_added_tokens_decoder()) if (t.special) special.add(id);
    this.specialIds = special;
  }
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: true }).ids;
  }
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.tok.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? true,
      clean_up_tokenization_spaces: false,
    });
  }
  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}

/** Load the tokenizer of a checkpoint directory. */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  const config = (await readJson(path.join(modelDir, "tokenizer_config.json"))) ?? {};
  let json = await readJson(path.join(modelDir, "tokenizer.json"));
  if (!json) {
    const vocab = await readJson(path.join(modelDir, "vocab.json"));
    let merges: string | null = null;
    try {
      merges = await readFile(path.join(modelDir, "merges.txt"), "utf8");
    } catch {
      merges = null;
    }
    if (!vocab || merges === null) {
      throw new Error(
        `no tokenizer in ${modelDir}: expected tokenizer.json, or vocab.json and merges.txt`,
      );
    }
    const added = await readJson(path.join(modelDir, "added_tokens.json"));
    json = tokenizerJsonFromVocab(vocab as Record<string, number>, merges, config, added);
  }
  // `clean_up_tokenization_spaces` and friends come from the config; decode passes them explicitly.
  return new HfTextTokenizer(new Tokenizer(json, config), config);
}
