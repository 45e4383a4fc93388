import { FilterSyntaxError } from "@scenecap/protocol";
import { StoreInputError } from "./errors.js";
import type { ListQuery, ResourceKind, SortSpec } from "./types.js";

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  "namespace", "bucket", "object", "collection", "batch", "task", "retriever", "published_retriever",
];

export function checkKind(kind: string): asserts kind is ResourceKind {
  if (!(RESOURCE_KINDS as readonly string[]).includes(kind)) {
    throw new StoreInputError(`unknown resource kind ${JSON.stringify(kind)}; expected one of ${RESOURCE_KINDS.join(", ")}`);
  }
}

/** Validates limit/offset: non-negative integers (limit capped at 10 000). */
export function pageParams(q: { limit: number; offset: number }): { limit: number; offset: number } {
  const { limit, offset } = q;
  if (!Number.isInteger(limit) || limit < 0) throw new StoreInputError(`limit must be a non-negative integer, got ${String(limit)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new StoreInputError(`offset must be a non-negative integer, got ${String(offset)}`);
  return { limit: Math.min(limit, 10_000), offset };
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Splits and validates a dotted field path (`metadata.title`, `_internal.lineage.source_object_id`).
 * Segments may hold letters, digits, `_` and `-` only, so a path can never carry SQL or JSON-path syntax.
 */
export function parseFieldPath(field: unknown): string[] {
  if (typeof field !== "string" || field.length === 0 || field.length > 256) {
    throw new FilterSyntaxError(`invalid field path ${JSON.stringify(field)}`);
  }
  const parts = field.split(".");
  for (const p of parts) {
    if (!SEGMENT.test(p)) {
      throw new FilterSyntaxError(
        `invalid field path ${JSON.stringify(field)}: each dot-separated part may only contain letters, digits, "_" and "-"`,
      );
    }
  }
  return parts;
}

/** SQLite JSON path for validated segments: `$."a"."b"`. */
export function sqliteJsonPath(parts: string[]): string {
  return "$" + parts.map((p) => `."${p}"`).join("");
}

export function normaliseSort(sort: SortSpec | undefined): SortSpec | undefined {
  if (!sort) return undefined;
  if (sort.direction !== "asc" && sort.direction !== "desc") {
    throw new StoreInputError(`sort direction must be "asc" or "desc", got ${JSON.stringify(sort.direction)}`);
  }
  try {
    parseFieldPath(sort.field);
  } catch {
    throw new StoreInputError(`invalid sort field ${JSON.stringify(sort.field)}`);
  }
  return sort;
}

export type ListOptions = ListQuery;

export function nowIso(): string {
  return new Date().toISOString();
}

// ---------------------------------------------------------------------------------------------
// Full-text: which text of a document is indexed, and how user text becomes a safe query.
// ---------------------------------------------------------------------------------------------

const EXCLUDED_SUFFIXES = ["_id", "_url", "_uri", "_at", "_hash", "_type"];
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

function isIndexedKey(key: string): boolean {
  if (key === "description" || key.startsWith("_")) return false;
  return !EXCLUDED_SUFFIXES.some((s) => key.endsWith(s));
}

/**
 * The indexed text of a document, split in two columns:
 * - `description`: the root `description` string (the scene caption), weighted highest;
 * - `body`: every other root string field (and root arrays of strings, e.g. tags) whose key does not start
 *   with `_` and does not end with `_id`, `_url`, `_uri`, `_at`, `_hash` or `_type`, skipping URL-like
 *   values: `transcription`, `ocr_text`, `title`, user passthrough text…
 */
export function documentText(fields: Record<string, unknown>): { description: string; body: string } {
  const description = typeof fields.description === "string" ? fields.description : "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!isIndexedKey(key)) continue;
    if (typeof value === "string") {
      if (!URL_LIKE.test(value)) parts.push(value);
    } else if (Array.isArray(value)) {
      for (const v of value) if (typeof v === "string" && !URL_LIKE.test(v)) parts.push(v);
    }
  }
  return { description, body: parts.join("\n") };
}

/** PostgreSQL's `english` stop words; dropped from queries on both backends so both match the same docs. */
const STOP_WORDS = new Set(
  ("i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself " +
    "it its itself they them their theirs themselves what which who whom this that these those am is are was were be " +
    "been being have has had having do does did doing a an the and but if or because as until while of at by for with " +
    "about against between into through during before after above below to from up down in out on off over under again " +
    "further then once here there when where why how all any both each few more most other some such no nor not only own " +
    "same so than too very s t can will just don should now").split(" "),
);

/**
 * Turns arbitrary user text into search terms: lower-cased runs of letters/digits, English stop words
 * dropped, duplicates removed, at most 32 terms. Punctuation, quotes and operators (`AND`, `*`, `"`, `-`,
 * `NEAR(`…) never reach the query parser as syntax. An empty result means "matches nothing".
 */
export function searchTerms(text: string): string[] {
  const tokens = text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (const t of tokens) {
    if (STOP_WORDS.has(t) || out.includes(t)) continue;
    out.push(t);
    if (out.length >= 32) break;
  }
  return out;
}

/** FTS5 MATCH expression: every term quoted (so keywords are plain words), all required. */
export function fts5Query(terms: string[], column?: string): string {
  const q = terms.map((t) => `"${t}"`).join(" AND ");
  return column ? `{${column}} : (${q})` : q;
}

/** True when `fields` restricts the search to the description column only. */
export function descriptionOnly(fields: string[] | undefined): boolean {
  return Array.isArray(fields) && fields.length > 0 && fields.every((f) => f === "description");
}
