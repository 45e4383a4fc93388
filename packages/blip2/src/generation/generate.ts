import type { Blip2Model, KVCache } from "../model-types.js";
import { BeamSearchState } from "./beam-search.js";
import { buildProcessors, type GenerationSettings, validateSettings } from "./config.js";
import { argmax, logSoftmax, type LogitsProcessor } from "./logits-processors.js";
import { EosTokenCriterion, MaxLengthCriterion, StoppingCriteriaList } from "./stopping.js";

/**
 * Generation on top of a `Blip2Model`: the query embeddings of each image followed by its embedded text ids
 * (BOS first). Rows with shorter prompts are padded between the query block and the text, as the HF processor lays
 * out `[<image>]*Q + left-padded text`; masked pads get position −1 and are never attended.
 * One prefill pass, then one token per step through the KV cache; finished rows/items leave the batch.
 */
export interface GenerateRequest {
  /** Projected query embeddings [batch, numQueryTokens, hiddenSize] (from `encodeImages`). */
  queryEmbeds: Float32Array;
  batch: number;
  /** Text ids per batch item (BOS first). */
  textIds: readonly (readonly number[])[];
  settings: GenerationSettings;
  /**
   * Id that stands for a query embedding in the token history processors see (HF's `<image>` placeholder);
   * null = the legacy layout where the history holds text ids only.
   */
  imageTokenId?: number | null;
  /** Extra processors appended after the built-in ones. */
  processors?: LogitsProcessor[];
  /** Raw next-token logits of every greedy step (item, step, logits row). */
  onStepLogits?: (item: number, step: number, logits: Float32Array) => void;
}

export interface GeneratedSequence {
  /** The history before generation: placeholders (if any), pads, text ids. */
  promptIds: number[];
  /** Generated ids, EOS included when produced. */
  tokens: number[];
  /** Beam search: the length-normalised score of the returned beam; greedy: null. */
  score: number | null;
}

interface Prompt {
  history: number[];
  /** Attention mask of the prompt positions (query block + padded text). */
  mask: number[];
  validCount: number;
}

function buildPrompts(req: GenerateRequest, numQuery: number): { prompts: Prompt[]; paddedText: number[][]; textLen: number } {
  const { textIds, settings } = req;
  const textLen = Math.max(...textIds.map((t) => t.length));
  const prompts: Prompt[] = [];
  const paddedText: number[][] = [];
  for (const ids of textIds) {
    const padCount = textLen - ids.length;
    const padded = [...Array<number>(padCount).fill(settings.padTokenId), ...ids];
    paddedText.push(padded);
    const placeholder = req.imageTokenId ?? null;
    const history = [...(placeholder === null ? [] : Array<number>(numQuery).fill(placeholder)), ...padded];
    const mask = [...Array<number>(numQuery).fill(1), ...Array<number>(padCount).fill(0), ...Array<number>(ids.length).fill(1)];
    prompts.push({ history, mask, validCount: numQuery + ids.length });
  }
  return { prompts, paddedText, textLen };
}

/** Positions from a mask: cumsum(mask)·mask − 1 (pads → −1). */
export function positionsFromMask(mask: readonly number[]): number[] {
  let c = 0;
  return mask.map((m) => {
    c += m;
    return m ? c - 1 : -1;
  });
}

/** Run the prefill pass: returns all-position logits [batch, seqLen, vocab] and the cache. */
export async function prefill(
  model: Blip2Model,
  queryEmbeds: Float32Array,
  batch: number,
  textIds: readonly (readonly number[])[],
  padTokenId: number,
  options: { lastLogitsOnly?: boolean; imageTokenId?: number | null } = {},
): Promise<{
  /** [batch, logitsPerRow, vocab]: every position, or only the last with `lastLogitsOnly` */
  logits: Float32Array;
  logitsPerRow: number;
  seqLen: number;
  vocabSize: number;
  cache: KVCache;
  prompts: Prompt[];
}> {
  const numQuery = model.dims.numQueryTokens;
  const hidden = model.dims.text.hiddenSize;
  if (batch < 1) throw new Error("no images given: the batch is empty");
  if (textIds.length !== batch) throw new Error(`got ${textIds.length} prompts for ${batch} images`);
  if (textIds.some((t) => t.length === 0)) throw new Error("every prompt needs at least one token (BOS)");
  if (queryEmbeds.length !== batch * numQuery * hidden) {
    throw new Error(`query embeddings have ${queryEmbeds.length} values, expected ${batch}×${numQuery}×${hidden}`);
  }
  const { prompts, paddedText, textLen } = buildPrompts(
    { queryEmbeds, batch, textIds, settings: { padTokenId } as GenerationSettings, imageTokenId: options.imageTokenId ?? null },
    numQuery,
  );
  const seqLen = numQuery + textLen;
  const ids = new BigInt64Array(batch * textLen);
  paddedText.forEach((row, b) => row.forEach((id, t) => (ids[b * textLen + t] = BigInt(id))));
  const textEmbeds = await model.embedTokens(ids, batch, textLen);
  const inputsEmbeds = new Float32Array(batch * seqLen * hidden);
  for (let b = 0; b < batch; b++) {
    inputsEmbeds.set(queryEmbeds.subarray(b * numQuery * hidden, (b + 1) * numQuery * hidden), b * seqLen * hidden);
    inputsEmbeds.set(
      textEmbeds.subarray(b * textLen * hidden, (b + 1) * textLen * hidden),
      (b * seqLen + numQuery) * hidden,
    );
  }
  const attentionMask = new BigInt64Array(batch * seqLen);
  const positionIds = new BigInt64Array(batch * seqLen);
  prompts.forEach((p, b) => {
    const pos = positionsFromMask(p.mask);
    for (let t = 0; t < seqLen; t++) {
      attentionMask[b * seqLen + t] = BigInt(p.mask[t]!);
      positionIds[b * seqLen + t] = BigInt(pos[t]!);
    }
  });
  const out = await model.decode({
    inputsEmbeds,
    batch,
    seqLen,
    attentionMask,
    positionIds,
    past: null,
    ...(options.lastLogitsOnly ? { numLogitsToKeep: 1 } : {}),
  });
  const vocabSize = model.dims.text.vocabSize;
  const logitsPerRow = out.logits.length / (batch * vocabSize);
  if (!Number.isInteger(logitsPerRow) || logitsPerRow < 1 || logitsPerRow > seqLen) {
    throw new Error(`decoder returned ${out.logits.length} logits for batch ${batch}, vocab ${vocabSize}`);
  }
  return { logits: out.logits, logitsPerRow, seqLen, vocabSize, cache: out.present, prompts };
}

/** One decoding row in flight: which item it belongs to and its mask so far. */
interface Row {
  item: number;
  mask: number[];
  validCount: number;
}

async function decodeStep(
  model: Blip2Model,
  rows: Row[],
  tokens: number[],
  cache: KVCache,
): Promise<{ logits: Float32Array; cache: KVCache }> {
  const n = rows.length;
  const ids = BigInt64Array.from(tokens.map((t) => BigInt(t)));
  const inputsEmbeds = await model.embedTokens(ids, n, 1);
  const total = rows[0]!.mask.length;
  const attentionMask = new BigInt64Array(n * total);
  const positionIds = new BigInt64Array(n);
  rows.forEach((r, i) => {
    for (let t = 0; t < total; t++) attentionMask[i * total + t] = BigInt(r.mask[t]!);
    positionIds[i] = BigInt(r.validCount - 1);
  });
  const out = await model.decode({ inputsEmbeds, batch: n, seqLen: 1, attentionMask, positionIds, past: cache });
  return { logits: out.logits, cache: out.present };
}

const isIdentity = (rows: number[], n: number): boolean => rows.length === n && rows.every((r, i) => r === i);

/** Greedy or beam search (by `settings.numBeams`) for a batch of images. */
export async function generate(model: Blip2Model, req: GenerateRequest): Promise<GeneratedSequence[]> {
  const { settings } = req;
  validateSettings(settings);
  const numQuery = model.dims.numQueryTokens;
  const maxPos = model.dims.text.maxPositionEmbeddings;
  if (settings.numBeams > model.dims.text.vocabSize) {
    throw new RangeError(`numBeams ${settings.numBeams} exceeds the vocabulary size ${model.dims.text.vocabSize}`);
  }
  const longest = numQuery + Math.max(...req.textIds.map((t) => t.length));
  if (longest + settings.maxNewTokens > maxPos) {
    throw new RangeError(
      `prompt (${longest} positions incl. ${numQuery} query tokens) + maxNewTokens ${settings.maxNewTokens} exceeds the model's ${maxPos} positions`,
    );
  }
  const pre = await prefill(model, req.queryEmbeds, req.batch, req.textIds, settings.padTokenId, {
    lastLogitsOnly: true,
    imageTokenId: req.imageTokenId ?? null,
  });
  const processors = buildProcessors(settings);
  if (req.processors) processors.processors.push(...req.processors);
  const V = pre.vocabSize;
  const lastRow = (logits: Float32Array, row: number, seqLen: number): Float32Array =>
    logits.subarray((row * seqLen + seqLen - 1) * V, (row * seqLen + seqLen) * V);
  const promptLength = pre.prompts[0]!.history.length;
  const stopping = new StoppingCriteriaList([
    new MaxLengthCriterion(promptLength + settings.maxNewTokens),
    new EosTokenCriterion(settings.eosTokenIds),
  ]);

  if (settings.numBeams === 1) return greedy();
  return beam();

  async function greedy(): Promise<GeneratedSequence[]> {
    const results: GeneratedSequence[] = pre.prompts.map((p) => ({ promptIds: [...p.history], tokens: [], score: null }));
    let rows: Row[] = pre.prompts.map((p, b) => ({ item: b, mask: [...p.mask], validCount: p.validCount }));
    let cache = pre.cache;
    let logits = pre.logits;
    let seqLen = pre.logitsPerRow;
    for (let step = 0; rows.length > 0; step++) {
      const keep: number[] = [];
      const next: number[] = [];
      rows.forEach((r, i) => {
        const raw = lastRow(logits, i, seqLen);
        req.onStepLogits?.(r.item, step, raw);
        const res = results[r.item]!;
        const history = [...res.promptIds, ...res.tokens];
        let scores: Float32Array = raw;
        if (processors.length > 0) {
          scores = new Float32Array(raw);
          processors.process(history, scores, promptLength);
        }
        const token = argmax(scores);
        res.tokens.push(token);
        if (!stopping.shouldStop(history.length + 1, token)) {
          keep.push(i);
          next.push(token);
        }
      });
      if (keep.length === 0) break;
      if (!isIdentity(keep, rows.length)) cache = model.selectCache(cache, keep);
      rows = keep.map((i) => rows[i]!);
      for (const r of rows) {
        r.mask.push(1);
        r.validCount++;
      }
      ({ logits, cache } = await decodeStep(model, rows, next, cache));
      seqLen = 1;
    }
    return results;
  }

  async function beam(): Promise<GeneratedSequence[]> {
    const K = settings.numBeams;
    const states = pre.prompts.map(
      (p) =>
        new BeamSearchState(p.history, {
          numBeams: K,
          lengthPenalty: settings.lengthPenalty,
          earlyStopping: settings.earlyStopping,
          maxLength: promptLength + settings.maxNewTokens,
          numEosTokens: settings.eosTokenIds.length,
          stopping,
        }),
    );
    // expand each item to K beams (all identical after prefill)
    const expand: number[] = [];
    for (let b = 0; b < req.batch; b++) for (let k = 0; k < K; k++) expand.push(b);
    let cache = model.selectCache(pre.cache, expand);
    let rows: Row[] = expand.map((b) => ({ item: b, mask: [...pre.prompts[b]!.mask], validCount: pre.prompts[b]!.validCount }));
    // logits row r of the current step: for the prefill it is the item's last position
    let rowLogits = (r: number): Float32Array => lastRow(pre.logits, expand[r]!, pre.logitsPerRow);
    while (rows.length > 0) {
      const select: number[] = [];
      const next: number[] = [];
      const nextRows: Row[] = [];
      for (let start = 0; start < rows.length; start += K) {
        const item = rows[start]!.item;
        const state = states[item]!;
        const lps = Array.from({ length: K }, (_, k) => {
          const lp = logSoftmax(rowLogits(start + k));
          if (processors.length > 0) processors.process(state.running[k]!, lp, promptLength);
          return lp;
        });
        const sources = state.step(lps);
        if (state.done) continue;
        sources.forEach((src, k) => {
          select.push(start + src);
          next.push(state.running[k]!.at(-1)!);
          const base = rows[start + src]!;
          nextRows.push({ item, mask: [...base.mask, 1], validCount: base.validCount + 1 });
        });
      }
      if (nextRows.length === 0) break;
      cache = model.selectCache(cache, select);
      rows = nextRows;
      const out = await decodeStep(model, rows, next, cache);
      cache = out.cache;
      const logits = out.logits;
      rowLogits = (r: number) => logits.subarray(r * V, (r + 1) * V);
    }
    return states.map((s) => {
      const best = s.best();
      return { promptIds: best.sequence.slice(0, s.promptLength), tokens: best.sequence.slice(s.promptLength), score: best.score };
    });
  }
}
