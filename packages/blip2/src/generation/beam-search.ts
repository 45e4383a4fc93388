import type { StoppingCriterion } from "./stopping.js";

/**
 * Hugging Face beam search for one batch item (the vectorised `_beam_search` of transformers ≥ 4.50, equivalent to
 * `BeamSearchScorer`): keeps `2K` candidates per step, the best `K` non-stopped ones keep running, stopped ones among
 * the top `K` enter the finished set scored by `sum_logprobs / generated_len ** length_penalty` (EOS counted), and the
 * early-stop heuristic closes the item once no running beam can beat the worst finished one.
 */
export interface BeamSearchOptions {
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | "never";
  /** Absolute maximum length (prompt + new tokens). */
  maxLength: number;
  /** How many EOS ids there are (sets the candidate count `max(2, 1 + n) * K`). */
  numEosTokens: number;
  stopping: StoppingCriterion;
}

export interface Hypothesis {
  sequence: number[];
  score: number;
}

const NEG = -1.0e9;

export class BeamSearchState {
  readonly promptLength: number;
  /** Running beams (K), best first after the first step. */
  running: number[][];
  runningScores: number[];
  /** Finished hypotheses, best first (at most K). */
  finished: Hypothesis[] = [];
  private heuristicOpen = true;
  done = false;
  private readonly keep: number;

  constructor(
    prompt: readonly number[],
    readonly options: BeamSearchOptions,
  ) {
    const K = options.numBeams;
    this.promptLength = prompt.length;
    this.running = Array.from({ length: K }, () => [...prompt]);
    this.runningScores = Array.from({ length: K }, (_, k) => (k === 0 ? 0 : NEG));
    this.keep = Math.max(2, 1 + options.numEosTokens) * K;
  }

  get curLength(): number {
    return this.running[0]!.length;
  }

  /**
   * Advance one step. `logProbs[k]` holds the processed log-probabilities of running beam k.
   * Returns, for each new running beam, the index of the beam it extends (for KV-cache reordering).
   */
  step(logProbs: readonly (Float32Array | Float64Array)[]): number[] {
    if (this.done) throw new Error("beam search already finished");
    const { numBeams: K, lengthPenalty, earlyStopping, maxLength, stopping } = this.options;
    const cur = this.curLength;
    const V = logProbs[0]!.length;

    // top `keep` of (log-prob + running score) over K*V, descending; lower flat index first on ties.
    const keep = Math.min(this.keep, K * V);
    const topScore = new Float64Array(keep).fill(-Infinity);
    const topIdx = new Int32Array(keep).fill(-1);
    let filled = 0;
    for (let k = 0; k < K; k++) {
      const row = logProbs[k]!;
      const base = this.runningScores[k]!;
      for (let v = 0; v < V; v++) {
        const s = row[v]! + base;
        if (filled === keep && !(s > topScore[keep - 1]!)) continue;
        let pos = filled === keep ? keep - 1 : filled++;
        while (pos > 0 && s > topScore[pos - 1]!) {
          topScore[pos] = topScore[pos - 1]!;
          topIdx[pos] = topIdx[pos - 1]!;
          pos--;
        }
        topScore[pos] = s;
        topIdx[pos] = k * V + v;
      }
    }
    const cands = Array.from({ length: filled }, (_, i) => {
      const idx = topIdx[i]!;
      const beam = Math.floor(idx / V);
      const token = idx % V;
      return { beam, token, score: topScore[i]!, stops: stopping.shouldStop(cur + 1, token) };
    });

    // next running beams: best K that did not stop (stopped ones only as -1e9 fillers, as HF's masking does)
    const ranked = cands
      .map((c, i) => ({ c, i, s: c.score + (c.stops ? NEG : 0) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, K);

    // finished update: only stopped candidates among the top K are eligible
    const full = this.finished.length >= K;
    if (this.heuristicOpen && !(earlyStopping === true && full)) {
      const genLen = cur + 1 - this.promptLength;
      const norm = genLen ** lengthPenalty;
      const fresh: Hypothesis[] = [];
      for (const c of cands.slice(0, K)) {
        if (!c.stops) continue;
        fresh.push({ sequence: [...this.running[c.beam]!, c.token], score: c.score / norm });
      }
      if (fresh.length > 0) {
        this.finished = [...this.finished, ...fresh].sort((a, b) => b.score - a.score).slice(0, K);
      }
    }

    const sources = ranked.map((r) => r.c.beam);
    this.running = ranked.map((r) => [...this.running[r.c.beam]!, r.c.token]);
    this.runningScores = ranked.map((r) => r.s);

    // early-stop heuristic and termination
    const newLen = cur + 1;
    const bestLen = earlyStopping === "never" && lengthPenalty > 0 ? maxLength - this.promptLength : newLen - this.promptLength;
    const bestPossible = this.runningScores[0]! / bestLen ** lengthPenalty;
    const allFilled = this.finished.length >= K;
    const worst = allFilled ? Math.min(...this.finished.map((h) => h.score)) : NEG;
    this.heuristicOpen = this.heuristicOpen && bestPossible > worst;
    this.done = !this.heuristicOpen || (earlyStopping === true && allFilled) || cands.every((c) => c.stops);
    return sources;
  }

  /** The best finished hypothesis (the best running beam if nothing finished, which HF never returns). */
  best(): Hypothesis {
    const f = this.finished[0];
    if (f) return f;
    const gen = this.curLength - this.promptLength;
    return { sequence: this.running[0]!, score: this.runningScores[0]! / Math.max(1, gen) ** this.options.lengthPenalty };
  }
}
