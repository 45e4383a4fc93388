/** Fixed-window request counters, in this process's memory (each server of a fleet counts its own calls). */
export interface WindowLimits {
  requests_per_minute?: number | null;
  requests_per_hour?: number | null;
  requests_per_day?: number | null;
}

export type LimitDecision =
  | { ok: true; limit: number | null; remaining: number | null; resetS: number | null; window: string | null }
  | { ok: false; limit: number; window: string; retryAfterS: number };

const WINDOWS = [
  ["requests_per_minute", "minute", 60_000],
  ["requests_per_hour", "hour", 3_600_000],
  ["requests_per_day", "day", 86_400_000],
] as const;

export class RateLimiter {
  readonly #counters = new Map<string, { start: number; count: number }>();

  /** Counts one call against every configured window of `key`; refused calls are not counted. */
  take(key: string, limits: WindowLimits, now = Date.now()): LimitDecision {
    const active = WINDOWS.filter(([field]) => typeof limits[field] === "number").map(([field, window, ms]) => {
      const start = Math.floor(now / ms) * ms;
      const id = `${key}\u0000${window}`;
      const cur = this.#counters.get(id);
      const count = cur && cur.start === start ? cur.count : 0;
      return { id, window, ms, start, count, limit: limits[field] as number };
    });
    const over = active.find((w) => w.count >= w.limit);
    if (over) return { ok: false, limit: over.limit, window: over.window, retryAfterS: Math.max(1, Math.ceil((over.start + over.ms - now) / 1000)) };
    for (const w of active) this.#counters.set(w.id, { start: w.start, count: w.count + 1 });
    // Report the window with the fewest calls left.
    const tightest = active.sort((a, b) => a.limit - a.count - (b.limit - b.count))[0];
    if (!tightest) return { ok: true, limit: null, remaining: null, resetS: null, window: null };
    return {
      ok: true,
      limit: tightest.limit,
      remaining: tightest.limit - tightest.count - 1,
      resetS: Math.ceil((tightest.start + tightest.ms - now) / 1000),
      window: tightest.window,
    };
  }
}
