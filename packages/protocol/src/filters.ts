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

function fold(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof v === "string" ? v.toLowerCase() : v;
}

function compare(a: unknown, b: unknown): number | null {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" && typeof b === "string" && b.trim() !== "" && !Number.isNaN(Number(b))) return a - Number(b);
  if (typeof a === "string" && typeof b === "number" && a.trim() !== "" && !Number.isNaN(Number(a))) return Number(a) - b;
  return null;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return a.some((x) => looseEqual(x, b));
  const c = compare(a, b);
  if (c !== null) return c === 0;
  return JSON.stringify(a) === JSON.stringify(b);
}

function matchCondition(doc: unknown, cond: FilterCondition, caseSensitive: boolean): boolean {
  const raw = getPath(doc, cond.field);
  const actual = fold(raw, caseSensitive);
  const value = Array.isArray(cond.value) ? cond.value.map((v) => fold(v, caseSensitive)) : fold(cond.value, caseSensitive);
  switch (cond.operator) {
    case "eq":
      return looseEqual(actual, value);
    case "ne":
      return !looseEqual(actual, value);
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const c = compare(actual, value);
      if (c === null) return false;
      return cond.operator === "gt" ? c > 0 : cond.operator === "gte" ? c >= 0 : cond.operator === "lt" ? c < 0 : c <= 0;
    }
    case "in":
      return Array.isArray(value) && value.some((v) => looseEqual(actual, v));
    case "nin":
      return !Array.isArray(value) || !value.some((v) => looseEqual(actual, v));
    case "contains":
      if (Array.isArray(actual)) return actual.some((x) => looseEqual(x, value));
      return typeof actual === "string" && typeof value === "string" && actual.includes(value);
    case "starts_with":
      return typeof actual === "string" && typeof value === "string" && actual.startsWith(value);
    case "ends_with":
      return typeof actual === "string" && typeof value === "string" && actual.endsWith(value);
    case "regex": {
      if (typeof raw !== "string" || typeof cond.value !== "string") return false;
      try {
        return new RegExp(cond.value, caseSensitive ? "" : "i").test(raw);
      } catch {
        return false;
      }
    }
    case "exists":
      return (raw !== undefined) === (cond.value === undefined ? true : Boolean(cond.value));
    case "is_null":
      return (raw === null || raw === undefined) === (cond.value === undefined ? true : Boolean(cond.value));
    case "text":
      return typeof raw === "string" && typeof cond.value === "string" && raw.toLowerCase().includes(cond.value.toLowerCase());
  }
}

/** Evaluates a canonical filter tree against one JSON object (in-memory counterpart of the store's SQL). */
export function matchesFilter(doc: unknown, filter: LogicalOperator | undefined, inheritedCaseSensitive = false): boolean {
  if (!filter) return true;
  const cs = filter.case_sensitive ?? inheritedCaseSensitive;
  const test = (n: FilterCondition | LogicalOperator) => (isFilterCondition(n) ? matchCondition(doc, n, cs) : matchesFilter(doc, n, cs));
  if (filter.AND && !filter.AND.every(test)) return false;
  if (filter.OR && filter.OR.length > 0 && !filter.OR.some(test)) return false;
  if (filter.NOT && filter.NOT.some(test)) return false;
  return true;
}
