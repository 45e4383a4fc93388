import { z } from "zod";

/** Comparison operators of a Mixpeek `FilterCondition`. */
export const FilterOperator = z.enum([
  "eq", "ne", "gt", "lt", "gte", "lte", "in", "nin",
  "contains", "starts_with", "ends_with", "regex", "exists", "is_null", "text",
]);
export type FilterOperator = z.infer<typeof FilterOperator>;

/** One condition on a (dotted) field path, e.g. `{ field: "metadata.title", operator: "eq", value: "x" }`. */
export const FilterCondition = z.object({
  field: z.string().min(1),
  operator: FilterOperator.default("eq"),
  value: z.unknown().optional(),
});
export type FilterCondition = z.infer<typeof FilterCondition>;

/** Canonical (normalised) filter tree: every leaf is a `FilterCondition`. */
export interface LogicalOperator {
  AND?: Array<FilterCondition | LogicalOperator>;
  OR?: Array<FilterCondition | LogicalOperator>;
  NOT?: Array<FilterCondition | LogicalOperator>;
  case_sensitive?: boolean;
}

export const LogicalOperator: z.ZodType<LogicalOperator> = z.lazy(() =>
  z.object({
    AND: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    OR: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    NOT: z.array(z.union([FilterCondition, LogicalOperator])).optional(),
    case_sensitive: z.boolean().optional(),
  }),
);

export function isFilterCondition(node: FilterCondition | LogicalOperator): node is FilterCondition {
  return typeof (node as FilterCondition).field === "string";
}

/** Every field path a filter tree compares. */
export function filterFields(filter: LogicalOperator | undefined): string[] {
  const out: string[] = [];
  const walk = (node: FilterCondition | LogicalOperator) => {
    if (isFilterCondition(node)) out.push(node.field);
    else for (const children of [node.AND, node.OR, node.NOT]) for (const child of children ?? []) walk(child);
  };
  if (filter) walk(filter);
  return out;
}

/** Raised by `normalizeFilters` for input that is no filter at all. */
export class FilterSyntaxError extends Error {
  constructor(message: string, readonly path: Array<string | number> = []) {
    super(message);
    this.name = "FilterSyntaxError";
  }
}

const OPERATORS = new Set<string>(FilterOperator.options);
const LOGICAL_KEYS = new Set(["AND", "OR", "NOT", "and", "or", "not"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function normalizeCondition(raw: Record<string, unknown>, path: Array<string | number>): FilterCondition {
  const parsed = FilterCondition.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FilterSyntaxError(issue?.message ?? "invalid filter condition", [...path, ...(issue?.path ?? []).map(String)]);
  }
  return parsed.data;
}

/** `{"metadata.title": "x", "n": {"gt": 3}}` → conditions. */
function shorthandConditions(raw: Record<string, unknown>, path: Array<string | number>): FilterCondition[] {
  const out: FilterCondition[] = [];
  for (const [field, value] of Object.entries(raw)) {
    if (field === "case_sensitive") continue;
    if (field.trim() === "") throw new FilterSyntaxError("empty field name in filter", path);
    const opKeys = isPlainObject(value) ? Object.keys(value) : [];
    if (opKeys.length > 0 && opKeys.every((k) => OPERATORS.has(k.replace(/^\$/, "")))) {
      for (const k of opKeys) {
        out.push({ field, operator: k.replace(/^\$/, "") as FilterOperator, value: (value as Record<string, unknown>)[k] });
      }
    } else {
      out.push({ field, operator: "eq", value });
    }
  }
  return out;
}

function normalizeNode(raw: unknown, path: Array<string | number>): FilterCondition | LogicalOperator {
  if (!isPlainObject(raw)) throw new FilterSyntaxError("a filter must be an object", path);
  const keys = Object.keys(raw);
  if (keys.some((k) => LOGICAL_KEYS.has(k))) {
    const out: LogicalOperator = {};
    for (const k of keys) {
      if (k === "case_sensitive") {
        if (typeof raw[k] !== "boolean") throw new FilterSyntaxError("case_sensitive must be a boolean", [...path, k]);
        out.case_sensitive = raw[k] as boolean;
        continue;
      }
      const upper = k.toUpperCase();
      if (upper !== "AND" && upper !== "OR" && upper !== "NOT") {
        throw new FilterSyntaxError(`unexpected key "${k}" beside AND/OR/NOT`, [...path, k]);
      }
      const v = raw[k];
      const items = Array.isArray(v) ? v : [v];
      out[upper] = items.map((item, i) => normalizeNode(item, [...path, k, i]));
    }
    return out;
  }
  if (typeof raw.field === "string" && keys.every((k) => k === "field" || k === "operator" || k === "value" || k === "case_sensitive")) {
    return normalizeCondition(raw, path);
  }
  const conds = shorthandConditions(raw, path);
  return conds.length === 1 ? conds[0]! : { AND: conds };
}

/**
 * Normalises every filter form clients send to the canonical `LogicalOperator`:
 * a full tree, a bare condition `{field, operator, value}`, or the shorthand `{"metadata.title": "x"}`
 * (operator objects like `{"year": {"gte": 2020}}` too). Empty input → undefined.
 */
export function normalizeFilters(raw: unknown): LogicalOperator | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (isPlainObject(raw) && Object.keys(raw).length === 0) return undefined;
  const node = normalizeNode(raw, []);
  const cs = isPlainObject(raw) && typeof raw.case_sensitive === "boolean" ? { case_sensitive: raw.case_sensitive } : {};
  return isFilterCondition(node) ? { AND: [node], ...cs } : { ...node, ...cs };
}

/** Lenient filter input (any of the forms above); parses to the canonical `LogicalOperator`. */
export const FilterInput = z
  .union([
    // loose: unknown keys (shorthand fields) must reach normalizeFilters untouched
    z.looseObject({
      AND: z.array(z.record(z.string(), z.unknown())).optional(),
      OR: z.array(z.record(z.string(), z.unknown())).optional(),
      NOT: z.array(z.record(z.string(), z.unknown())).optional(),
      case_sensitive: z.boolean().optional(),
    }),
    FilterCondition,
    z.record(z.string(), z.unknown()),
  ])
  .nullable()
  .transform((v, ctx): LogicalOperator | undefined => {
    try {
      return normalizeFilters(v);
    } catch (e) {
      if (e instanceof FilterSyntaxError) {
        ctx.addIssue({ code: "custom", message: e.message, path: e.path.map(String) });
        return z.NEVER;
      }
      throw e;
    }
  });

/** Reads a dotted path (`metadata.title`, `_internal.lineage.source_object_id`) out of a JSON object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function fold(s: string, caseSensitive: boolean): string {
  return caseSensitive ? s : s.toLowerCase();
}

/** A string filter value that also reads as a number (`"2020"`) matches numeric fields too. */
function numericString(v: string): number | undefined {
  if (v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Structural JSON equality (arrays in order, objects by key set). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Code-point (= UTF-8 byte) order, as both store engines compare strings. */
function compareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** One JSON value equals a filter value: strings fold case unless `cs`; a numeric string also matches the number. */
function equalsValue(actual: unknown, v: unknown, cs: boolean): boolean {
  if (typeof v === "string") {
    if (typeof actual === "string") return fold(actual, cs) === fold(v, cs);
    const n = numericString(v);
    return n !== undefined && typeof actual === "number" && actual === n;
  }
  if (typeof v === "number") return typeof actual === "number" && actual === v;
  if (typeof v === "boolean" || v === null) return actual === v;
  if (v === undefined) return false;
  // An object or array value compares as a whole JSON value (exact case).
  return typeof actual === "object" && actual !== null && jsonEqual(actual, v);
}

/** `eq`: the value itself, or (for a scalar filter value) any element of an array field. */
function matchesEq(actual: unknown, v: unknown, cs: boolean): boolean {
  if (equalsValue(actual, v, cs)) return true;
  if (typeof v === "object" && v !== null) return false;
  return Array.isArray(actual) && actual.some((x) => equalsValue(x, v, cs));
}

/** Ordering of a field against a value of the same type (a numeric string value also orders numbers). */
function compareValue(actual: unknown, v: unknown, cs: boolean): number | null {
  if (typeof v === "number") return typeof actual === "number" ? actual - v : null;
  if (typeof v !== "string") return null;
  if (typeof actual === "string") return compareStrings(fold(actual, cs), fold(v, cs));
  const n = numericString(v);
  return n !== undefined && typeof actual === "number" ? actual - n : null;
}

/** `contains`: substring of a string field (string value), or an element of an array field. */
function matchesContains(actual: unknown, v: unknown, cs: boolean): boolean {
  if (typeof v === "string" && typeof actual === "string") return fold(actual, cs).includes(fold(v, cs));
  return Array.isArray(actual) && actual.some((x) => equalsValue(x, v, cs));
}

function matchCondition(doc: unknown, cond: FilterCondition, cs: boolean): boolean {
  const actual = getPath(doc, cond.field);
  const v = cond.value;
  switch (cond.operator) {
    case "eq":
      return matchesEq(actual, v, cs);
    case "ne":
      return !matchesEq(actual, v, cs);
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const c = compareValue(actual, v, cs);
      if (c === null) return false;
      return cond.operator === "gt" ? c > 0 : cond.operator === "gte" ? c >= 0 : cond.operator === "lt" ? c < 0 : c <= 0;
    }
    case "in":
      return Array.isArray(v) && v.some((x) => matchesEq(actual, x, cs));
    case "nin":
      return !Array.isArray(v) || !v.some((x) => matchesEq(actual, x, cs));
    case "contains":
      return matchesContains(actual, v, cs);
    case "starts_with":
      return typeof actual === "string" && typeof v === "string" && fold(actual, cs).startsWith(fold(v, cs));
    case "ends_with":
      return typeof actual === "string" && typeof v === "string" && fold(actual, cs).endsWith(fold(v, cs));
    case "regex": {
      if (typeof actual !== "string" || typeof v !== "string") return false;
      try {
        return new RegExp(v, cs ? "" : "i").test(actual);
      } catch {
        return false;
      }
    }
    case "exists":
      return (actual !== undefined) === (v === undefined ? true : Boolean(v));
    case "is_null":
      return (actual === null || actual === undefined) === (v === undefined ? true : Boolean(v));
    case "text":
      // Case-insensitive whatever case_sensitive says.
      return typeof v === "string" && matchesContains(actual, v, false);
  }
}

/**
 * Evaluates a canonical filter tree against one JSON object: the in-memory counterpart of the store's SQL, with
 * the same semantics (strings fold case unless `case_sensitive`, array elements included; `eq`/`in`/`contains` on
 * an array field match an element; an object/array value compares as a whole; ordering only between like types,
 * where a numeric string value also orders numbers; strings in code-point order). Filters the store rejects
 * (wrong value type, invalid regex) simply match nothing here.
 */
export function matchesFilter(doc: unknown, filter: LogicalOperator | undefined, inheritedCaseSensitive = false): boolean {
  if (!filter) return true;
  const cs = filter.case_sensitive ?? inheritedCaseSensitive;
  const test = (n: FilterCondition | LogicalOperator) => (isFilterCondition(n) ? matchCondition(doc, n, cs) : matchesFilter(doc, n, cs));
  if (filter.AND && !filter.AND.every(test)) return false;
  if (filter.OR && filter.OR.length > 0 && !filter.OR.some(test)) return false;
  if (filter.NOT && filter.NOT.some(test)) return false;
  return true;
}
