/**
 * One batching queue in front of a model: requests queue per key (requests with the same key can run in
 * one batch), and a key's queue is flushed when it holds `maxBatchSize` items or its oldest item has waited
 * `maxWaitMs`. One flush runs at a time per queue (the model is a single resource); while it runs, more
 * requests gather, so a busy model sees full batches.
 */
export interface BatcherOptions {
  /** @defaultValue 8 */
  maxBatchSize?: number;
  /** @defaultValue 20 */
  maxWaitMs?: number;
}

export interface BatchInfo {
  key: string;
  size: number;
  /** Distinct `origin` tags of the items (e.g. job ids), in arrival order. */
  origins: string[];
}

type RunBatch<I, O> = (key: string, items: I[]) => Promise<O[]>;

interface Pending<I, O> {
  item: I;
  origin: string;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, O> {
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  private readonly queues = new Map<string, { items: Pending<I, O>[]; timer: NodeJS.Timeout | null; since: number }>();
  private running: Promise<void> = Promise.resolve();
  private readonly listeners: ((b: BatchInfo) => void)[] = [];
  private closed = false;

  constructor(private readonly run: RunBatch<I, O>, opts: BatcherOptions = {}) {
    this.maxBatchSize = Math.max(1, opts.maxBatchSize ?? 8);
    this.maxWaitMs = Math.max(0, opts.maxWaitMs ?? 20);
  }

  /** Called with every batch handed to the model (observability, tests). */
  onBatch(listener: (b: BatchInfo) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  submit(key: string, item: I, origin = ""): Promise<O> {
    if (this.closed) return Promise.reject(new Error("the inference queue is closed"));
    return new Promise<O>((resolve, reject) => {
      let q = this.queues.get(key);
      if (!q) {
        q = { items: [], timer: null, since: Date.now() };
        this.queues.set(key, q);
      }
      if (q.items.length === 0) q.since = Date.now();
      q.items.push({ item, origin, resolve, reject });
      if (q.items.length >= this.maxBatchSize) this.flush(key);
      else if (!q.timer) q.timer = setTimeout(() => this.flush(key), this.maxWaitMs);
    });
  }

  /** Submits several items at once (they arrive together, so they can share a batch). */
  submitMany(key: string, items: I[], origin = ""): Promise<O[]> {
    return Promise.all(items.map((it) => this.submit(key, it, origin)));
  }

  private flush(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    if (q.timer) {
      clearTimeout(q.timer);
      q.timer = null;
    }
    if (q.items.length === 0) return;
    // Taking the items happens when the model is free, so requests that arrive meanwhile join this batch.
    this.running = this.running.then(async () => {
      const batch = q.items.splice(0, this.maxBatchSize);
      if (q.items.length > 0) this.flush(key);
      if (batch.length === 0) return;
      const origins = [...new Set(batch.map((p) => p.origin))];
      for (const l of this.listeners) l({ key, size: batch.length, origins });
      try {
        const out = await this.run(key, batch.map((p) => p.item));
        if (out.length !== batch.length) throw new Error(`model returned ${out.length} results for ${batch.length} inputs`);
        batch.forEach((p, i) => p.resolve(out[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    });
  }

  /** Rejects queued requests and refuses new ones; waits for the batch in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queues.values()) {
      if (q.timer) clearTimeout(q.timer);
      for (const p of q.items.splice(0)) p.reject(new Error("the inference queue is closed"));
    }
    await this.running;
  }
}
