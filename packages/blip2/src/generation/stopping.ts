/** Stopping criteria evaluated on a sequence that was just extended (HF `MaxLengthCriteria` + `EosTokenCriteria`). */
export interface StoppingCriterion {
  shouldStop(sequenceLength: number, lastToken: number): boolean;
}

export class MaxLengthCriterion implements StoppingCriterion {
  /** @param maxLength absolute length (prompt + new tokens) */
  constructor(readonly maxLength: number) {}
  shouldStop(sequenceLength: number): boolean {
    return sequenceLength >= this.maxLength;
  }
}

export class EosTokenCriterion implements StoppingCriterion {
  private readonly eos: Set<number>;
  constructor(eosTokenIds: readonly number[]) {
    this.eos = new Set(eosTokenIds);
  }
  shouldStop(_sequenceLength: number, lastToken: number): boolean {
    return this.eos.has(lastToken);
  }
}

export class StoppingCriteriaList implements StoppingCriterion {
  constructor(readonly criteria: StoppingCriterion[]) {}
  shouldStop(sequenceLength: number, lastToken: number): boolean {
    return this.criteria.some((c) => c.shouldStop(sequenceLength, lastToken));
  }
}
