import { readFile } from "node:fs/promises";
import path from "node:path";
import type { GenerateOptions } from "../captioner-types.js";
import {
  LogitsProcessorList,
  MinNewTokensLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
} from "./logits-processors.js";

/** Fully resolved decoding settings (Hugging Face `GenerationConfig` semantics, new-token counts). */
export interface GenerationSettings {
  /** Tokens generated at most per sequence (EOS included). */
  maxNewTokens: number;
  /** EOS is suppressed before this many new tokens. */
  minNewTokens: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | "never";
  repetitionPenalty: number;
  eosTokenIds: number[];
  padTokenId: number;
}

/** Used when neither the call nor generation_config.json sets max_new_tokens. */
export const DEFAULT_MAX_NEW_TOKENS = 30;

/** Defaults read from a checkpoint's `generation_config.json` (only fields present there). */
export type GenerationDefaults = Partial<GenerationSettings>;

const ids = (v: unknown): number[] | undefined =>
  typeof v === "number" ? [v] : Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;

/** Parse `generation_config.json` into defaults (absolute `max_length` is ignored: prompts vary in length). */
export function parseGenerationConfig(json: Record<string, unknown>): GenerationDefaults {
  const out: GenerationDefaults = {};
  const num = (k: string): number | undefined => (typeof json[k] === "number" ? (json[k] as number) : undefined);
  if (num("max_new_tokens") !== undefined) out.maxNewTokens = num("max_new_tokens")!;
  if (num("min_new_tokens") !== undefined) out.minNewTokens = num("min_new_tokens")!;
  if (num("num_beams") !== undefined) out.numBeams = num("num_beams")!;
  if (num("length_penalty") !== undefined) out.lengthPenalty = num("length_penalty")!;
  if (num("repetition_penalty") !== undefined) out.repetitionPenalty = num("repetition_penalty")!;
  if (typeof json.early_stopping === "boolean" || json.early_stopping === "never") {
    out.earlyStopping = json.early_stopping as boolean | "never";
  }
  const eos = ids(json.eos_token_id);
  if (eos) out.eosTokenIds = eos;
  if (num("pad_token_id") !== undefined) out.padTokenId = num("pad_token_id")!;
  return out;
}

/** Read `<modelDir>/generation_config.json` ({} when absent). */
export async function loadGenerationConfig(modelDir: string): Promise<GenerationDefaults> {
  try {
    return parseGenerationConfig(
      JSON.parse(await readFile(path.join(modelDir, "generation_config.json"), "utf8")) as Record<string, unknown>,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`cannot read generation_config.json: ${(err as Error).message}`);
  }
}

/** Merge call options over checkpoint defaults over library defaults, and validate. */
export function resolveSettings(
  options: Omit<GenerateOptions, "prompt"> | undefined,
  defaults: GenerationDefaults,
  fallback: { eosTokenIds: number[]; padTokenId: number },
): GenerationSettings {
  const o = options ?? {};
  const s: GenerationSettings = {
    maxNewTokens: o.maxNewTokens ?? defaults.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    minNewTokens: o.minNewTokens ?? defaults.minNewTokens ?? 0,
    numBeams: o.numBeams ?? defaults.numBeams ?? 1,
    lengthPenalty: o.lengthPenalty ?? defaults.lengthPenalty ?? 1.0,
    earlyStopping: o.earlyStopping ?? defaults.earlyStopping ?? false,
    repetitionPenalty: o.repetitionPenalty ?? defaults.repetitionPenalty ?? 1.0,
    eosTokenIds: defaults.eosTokenIds ?? fallback.eosTokenIds,
    padTokenId: defaults.padTokenId ?? fallback.padTokenId,
  };
  validateSettings(s);
  return s;
}

export function validateSettings(s: GenerationSettings): void {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int(s.maxNewTokens, "maxNewTokens", 1);
  int(s.minNewTokens, "minNewTokens", 0);
  int(s.numBeams, "numBeams", 1);
  if (!Number.isFinite(s.lengthPenalty)) throw new RangeError(`lengthPenalty must be finite, got ${s.lengthPenalty}`);
  if (!(s.repetitionPenalty > 0)) throw new RangeError(`repetitionPenalty must be > 0, got ${s.repetitionPenalty}`);
  if (!(s.earlyStopping === true || s.earlyStopping === false || s.earlyStopping === "never")) {
    throw new RangeError(`earlyStopping must be true, false or "never"`);
  }
}

/** The processors HF builds for these settings (repetition penalty, then min new tokens). */
export function buildProcessors(s: GenerationSettings): LogitsProcessorList {
  const list = new LogitsProcessorList();
  if (s.repetitionPenalty !== 1.0) list.processors.push(new RepetitionPenaltyLogitsProcessor(s.repetitionPenalty));
  if (s.minNewTokens > 0 && s.eosTokenIds.length > 0) {
    list.processors.push(new MinNewTokensLogitsProcessor(s.minNewTokens, s.eosTokenIds));
  }
  return list;
}
