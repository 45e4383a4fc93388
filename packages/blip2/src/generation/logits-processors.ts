/**
 * Logits processors with Hugging Face semantics. In greedy search they see raw logits, in beam search
 * log-probabilities; `history` is the row's whole sequence so far (placeholders, padding, prompt and generated ids),
 * exactly what HF passes as `input_ids`.
 */
export interface LogitsProcessor {
  process(history: readonly number[], scores: Float32Array | Float64Array, promptLength: number): void;
}

/** `MinNewTokensLengthLogitsProcessor`: EOS is forbidden until `minNewTokens` tokens were generated. */
export class MinNewTokensLogitsProcessor implements LogitsProcessor {
  constructor(
    readonly minNewTokens: number,
    readonly eosTokenIds: readonly number[],
  ) {}
  process(history: readonly number[], scores: Float32Array | Float64Array, promptLength: number): void {
    if (history.length - promptLength < this.minNewTokens) {
      for (const id of this.eosTokenIds) if (id >= 0 && id < scores.length) scores[id] = -Infinity;
    }
  }
}

/** `MinLengthLogitsProcessor`: EOS is forbidden while the whole sequence is shorter than `minLength`. */
export class MinLengthLogitsProcessor implements LogitsProcessor {
  constructor(
    readonly minLength: number,
    readonly eosTokenIds: readonly number[],
  ) {}
  process(history: readonly number[], scores: Float32Array | Float64Array, _promptLength = 0): void {
    if (history.length < this.minLength) {
      for (const id of this.eosTokenIds) if (id >= 0 && id < scores.length) scores[id] = -Infinity;
    }
  }
}

/** `RepetitionPenaltyLogitsProcessor`: every id already in the sequence gets `s·θ` (s < 0) or `s/θ` (s ≥ 0). */
export class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
  constructor(readonly penalty: number) {
    if (!(penalty > 0)) throw new Error(`repetitionPenalty must be > 0, got ${penalty}`);
  }
  process(history: readonly number[], scores: Float32Array | Float64Array, _promptLength = 0): void {
    const seen = new Set<number>();
    for (const id of history) {
      if (seen.has(id) || id < 0 || id >= scores.length) continue;
      seen.add(id);
      const s = scores[id]!;
      scores[id] = s < 0 ? s * this.penalty : s / this.penalty;
    }
  }
}

/** Processors applied in order (HF orders repetition penalty before the length constraints). */
export class LogitsProcessorList implements LogitsProcessor {
  constructor(readonly processors: LogitsProcessor[] = []) {}
  get length(): number {
    return this.processors.length;
  }
  process(history: readonly number[], scores: Float32Array | Float64Array, promptLength: number): void {
    for (const p of this.processors) p.process(history, scores, promptLength);
  }
}

/** log_softmax of one row, in float64. */
export function logSoftmax(logits: Float32Array | Float64Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/** Index of the largest value (first one on ties, like torch.argmax). */
export function argmax(scores: Float32Array | Float64Array): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! > bestV) {
      bestV = scores[i]!;
      best = i;
    }
  }
  return best;
}
