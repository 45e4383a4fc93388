import { FilterSyntaxError, isFilterCondition } from "@scenecap/protocol";
import type { FilterCondition, LogicalOperator } from "@scenecap/protocol";
import { parseFieldPath } from "./common.js";

/**
 * Collects bound parameters while SQL text is built. `add` returns the placeholder (`@p3` for SQLite,
 * `$3` for PostgreSQL); values never enter the SQL text.
 */
export interface Params {
  add(value: unknown): string;
}

export class SqliteParams implements Params {
  readonly values: Record<string, unknown> = {};
  private n = 0;
  add(value: unknown): string {
    const name = `p${++this.n}`;
    this.values[name] = typeof value === "boolean" ? (value ? 1 : 0) : value;
    return `@${name}`;
  }
}

export class PgParams implements Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Scalar kinds of a filter value. */
export type Scalar = string | number | boolean | null;
export type CompareOp = ">" | "<" | ">=" | "<=";

/**
 * One backend's SQL for the leaf predicates over the JSON value at a field path. Every method returns
 * a boolean SQL expression that is never NULL-poisoned by a missing field (the caller wraps it in
 * COALESCE anyway).
 */
export interface FilterDialect {
  /** Resolves a validated path to the opaque target handle used by the other methods. */
  target(parts: string[], params: Params): string;
  eq(t: string, value: unknown, cs: boolean, params: Params): string;
  compare(t: string, op: CompareOp, value: string | number, cs: boolean, params: Params): string;
  contains(t: string, value: unknown, cs: boolean, params: Params): string;
  startsWith(t: string, value: string, cs: boolean, params: Params): string;
  endsWith(t: string, value: string, cs: boolean, params: Params): string;
  regex(t: string, pattern: string, cs: boolean, params: Params): string;
  exists(t: string, want: boolean): string;
  isNull(t: string, want: boolean): string;
  falseSql: string;
  trueSql: string;
  coalesceFalse(expr: string): string;
}

const COMPARE: Record<string, CompareOp> = { gt: ">", lt: "<", gte: ">=", lte: "<=" };

function requireString(cond: FilterCondition): string {
  if (typeof cond.value !== "string") {
    throw new FilterSyntaxError(`operator "${cond.operator}" on "${cond.field}" needs a string value`);
  }
  return cond.value;
}

function flag(cond: FilterCondition): boolean {
  // Same reading as the in-memory matcher: absent → true.
  return cond.value === undefined ? true : Boolean(cond.value);
}

function leaf(cond: FilterCondition, cs: boolean, d: FilterDialect, params: Params): string {
  const parts = parseFieldPath(cond.field);
  const v = cond.value;
  if ((cond.operator === "in" || cond.operator === "nin") && Array.isArray(v) && v.length === 0) {
    // Decided without looking at the field (and without binding its path).
    return cond.operator === "in" ? d.falseSql : d.trueSql;
  }
  const t = d.target(parts, params);
  switch (cond.operator) {
    case "eq":
      return d.coalesceFalse(d.eq(t, v, cs, params));
    case "ne":
      return `NOT ${d.coalesceFalse(d.eq(t, v, cs, params))}`;
    case "gt":
    case "lt":
    case "gte":
    case "lte": {
      if (typeof v !== "number" && typeof v !== "string") {
        throw new FilterSyntaxError(`operator "${cond.operator}" on "${cond.field}" needs a number or string value`);
      }
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new FilterSyntaxError(`operator "${cond.operator}" on "${cond.field}" needs a finite number`);
      }
      return d.coalesceFalse(d.compare(t, COMPARE[cond.operator]!, v, cs, params));
    }
    case "in":
    case "nin": {
      if (!Array.isArray(v)) throw new FilterSyntaxError(`operator "${cond.operator}" on "${cond.field}" needs an array value`);
      const any = v.length === 0 ? d.falseSql : `(${v.map((x) => d.coalesceFalse(d.eq(t, x, cs, params))).join(" OR ")})`;
      return cond.operator === "in" ? any : `NOT ${any}`;
    }
    case "contains":
      if (v === undefined) throw new FilterSyntaxError(`operator "contains" on "${cond.field}" needs a value`);
      return d.coalesceFalse(d.contains(t, v, cs, params));
    case "starts_with":
      return d.coalesceFalse(d.startsWith(t, requireString(cond), cs, params));
    case "ends_with":
      return d.coalesceFalse(d.endsWith(t, requireString(cond), cs, params));
    case "regex": {
      const pattern = requireString(cond);
      try {
        new RegExp(pattern);
      } catch (e) {
        throw new FilterSyntaxError(`invalid regex for "${cond.field}": ${(e as Error).message}`);
      }
      return d.coalesceFalse(d.regex(t, pattern, cs, params));
    }
    case "exists":
      return d.exists(t, flag(cond));
    case "is_null":
      return d.isNull(t, flag(cond));
    case "text":
      // Case-insensitive substring on a string field, whatever case_sensitive says.
      return d.coalesceFalse(d.contains(t, requireString(cond), false, params));
    default:
      throw new FilterSyntaxError(`unknown filter operator ${JSON.stringify((cond as { operator: unknown }).operator)}`);
  }
}

function node(n: FilterCondition | LogicalOperator, cs: boolean, d: FilterDialect, params: Params, depth: number): string {
  if (depth > 32) throw new FilterSyntaxError("filter nested too deeply (more than 32 levels)");
  if (typeof n !== "object" || n === null) throw new FilterSyntaxError("a filter must be an object");
  if (isFilterCondition(n)) return leaf({ ...n, operator: n.operator ?? "eq" }, cs, d, params);
  const op = n as LogicalOperator;
  const inner = op.case_sensitive ?? cs;
  const clauses: string[] = [];
  const kids = (list: unknown, key: string) => {
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) throw new FilterSyntaxError(`${key} must be an array`);
    return list.map((c) => node(c as FilterCondition | LogicalOperator, inner, d, params, depth + 1));
  };
  const and = kids(op.AND, "AND");
  if (and && and.length > 0) clauses.push(`(${and.join(" AND ")})`);
  const or = kids(op.OR, "OR");
  if (or && or.length > 0) clauses.push(`(${or.join(" OR ")})`);
  const not = kids(op.NOT, "NOT");
  if (not && not.length > 0) clauses.push(`NOT (${not.join(" OR ")})`);
  for (const k of Object.keys(op)) {
    if (k !== "AND" && k !== "OR" && k !== "NOT" && k !== "case_sensitive") {
      throw new FilterSyntaxError(`unexpected key "${k}" in filter; use AND/OR/NOT with {field, operator, value} conditions`);
    }
  }
  return clauses.length === 0 ? d.trueSql : `(${clauses.join(" AND ")})`;
}

/**
 * Compiles a canonical Mixpeek filter tree (see `normalizeFilters` in the protocol package) to a SQL
 * boolean expression with bound parameters. Throws `FilterSyntaxError` for malformed trees, bad field
 * paths, values of the wrong type for their operator, and invalid regexes.
 */
export function compileFilter(filter: LogicalOperator | undefined, d: FilterDialect, params: Params): string {
  if (!filter) return d.trueSql;
  return node(filter, filter.case_sensitive ?? false, d, params, 0);
}

/** A string filter value that also reads as a number (`"2020"`) matches numeric fields too. */
export function numericString(v: string): number | undefined {
  if (v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
