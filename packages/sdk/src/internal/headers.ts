/** Header values as callers may pass them; `null` removes a default header. */
export type HeadersInit = Record<string, string | number | boolean | null | undefined>;

/** Merges header records left to right, case-insensitively; a `null`/`undefined` later value deletes the header. */
export function mergeHeaders(...sources: Array<HeadersInit | undefined>): Record<string, string> {
  const out = new Map<string, [string, string]>();
  for (const source of sources) {
    if (!source) continue;
    for (const [name, value] of Object.entries(source)) {
      const key = name.toLowerCase();
      if (value === null || value === undefined) out.delete(key);
      else out.set(key, [name, String(value)]);
    }
  }
  return Object.fromEntries([...out.values()]);
}

/** Normalises response headers (axios `AxiosHeaders` or a plain object) to a lower-cased record. */
export function normalizeHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== "object") return out;
  const source =
    typeof (raw as { toJSON?: unknown }).toJSON === "function"
      ? ((raw as { toJSON: () => Record<string, unknown> }).toJSON() as Record<string, unknown>)
      : (raw as Record<string, unknown>);
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
