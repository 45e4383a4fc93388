import { FilterSyntaxError } from "@scenecap/protocol";
import { sqliteJsonPath } from "../common.js";
import { numericString } from "../filter-sql.js";
import type { CompareOp, FilterDialect, Params } from "../filter-sql.js";

/**
 * SQLite leaf predicates. A target is the argument list of the JSON functions (`d.data, @p1`), so
 * `json_type(t)`, `json_extract(t)` and `json_each(t)` all address the same value. Strings fold with
 * `scn_fold` (JavaScript `toLowerCase`, registered on the connection) so case-insensitive matching
 * agrees with PostgreSQL's `lower()` beyond ASCII.
 */
export function sqliteDialect(dataCol: string, columns: Record<string, string>): FilterDialect {
  let alias = 0;
  const fold = (x: string, cs: boolean) => (cs ? x : `scn_fold(${x})`);

  function eqElem(type: string, val: string, v: unknown, cs: boolean, params: Params): string {
    if (v === undefined) throw new FilterSyntaxError("eq/ne/in need a value");
    if (typeof v === "string") {
      const s = `(${type} = 'text' AND ${fold(val, cs)} = ${fold(params.add(v), cs)})`;
      const n = numericString(v);
      return n === undefined ? s : `(${s} OR (${type} IN ('integer','real') AND ${val} = ${params.add(n)}))`;
    }
    if (typeof v === "number") return `(${type} IN ('integer','real') AND ${val} = ${params.add(v)})`;
    if (typeof v === "boolean") return `(${type} = '${v ? "true" : "false"}')`;
    if (v === null) return `(${type} = 'null')`;
    return `(${type} IN ('object','array') AND ${val} = json(${params.add(JSON.stringify(v))}))`;
  }

  function anyElement(t: string, v: unknown, cs: boolean, params: Params): string {
    const a = `je${++alias}`;
    return `EXISTS (SELECT 1 FROM json_each(${t}) AS ${a} WHERE ${eqElem(`${a}.type`, `${a}.value`, v, cs, params)})`;
  }

  return {
    target(parts, params) {
      const col = parts.length === 1 ? columns[parts[0]!] : undefined;
      if (col) return `iif(${col} IS NULL, NULL, json_quote(${col})), '$'`;
      return `${dataCol}, ${params.add(sqliteJsonPath(parts))}`;
    },
    eq(t, v, cs, params) {
      const direct = eqElem(`json_type(${t})`, `json_extract(${t})`, v, cs, params);
      if (typeof v === "object" && v !== null) return direct;
      return `(${direct} OR (json_type(${t}) = 'array' AND ${anyElement(t, v, cs, params)}))`;
    },
    compare(t, op: CompareOp, v, cs, params) {
      if (typeof v === "number") return `(json_type(${t}) IN ('integer','real') AND json_extract(${t}) ${op} ${params.add(v)})`;
      const s = `(json_type(${t}) = 'text' AND ${fold(`json_extract(${t})`, cs)} ${op} ${fold(params.add(v), cs)})`;
      const n = numericString(v);
      return n === undefined ? s : `(${s} OR (json_type(${t}) IN ('integer','real') AND json_extract(${t}) ${op} ${params.add(n)}))`;
    },
    contains(t, v, cs, params) {
      if (typeof v === "string") {
        return `(CASE json_type(${t}) WHEN 'text' THEN instr(${fold(`json_extract(${t})`, cs)}, ${fold(params.add(v), cs)}) > 0 ` +
          `WHEN 'array' THEN ${anyElement(t, v, cs, params)} ELSE 0 END)`;
      }
      return `(json_type(${t}) = 'array' AND ${anyElement(t, v, cs, params)})`;
    },
    startsWith(t, v, cs, params) {
      const p = fold(params.add(v), cs);
      return `(json_type(${t}) = 'text' AND substr(${fold(`json_extract(${t})`, cs)}, 1, length(${p})) = ${p})`;
    },
    endsWith(t, v, cs, params) {
      const p = fold(params.add(v), cs);
      const x = fold(`json_extract(${t})`, cs);
      return `(json_type(${t}) = 'text' AND length(${x}) >= length(${p}) AND substr(${x}, length(${x}) - length(${p}) + 1) = ${p})`;
    },
    regex(t, pattern, cs, params) {
      return `(json_type(${t}) = 'text' AND scn_regexp(${params.add(pattern)}, json_extract(${t}), '${cs ? "" : "i"}'))`;
    },
    exists(t, want) {
      return want ? `(json_type(${t}) IS NOT NULL)` : `(json_type(${t}) IS NULL)`;
    },
    isNull(t, want) {
      return want
        ? `(json_type(${t}) IS NULL OR json_type(${t}) = 'null')`
        : `(json_type(${t}) IS NOT NULL AND json_type(${t}) <> 'null')`;
    },
    trueSql: "1",
    falseSql: "0",
    coalesceFalse: (x) => `coalesce(${x}, 0)`,
  };
}

/** ORDER BY expression for a sort field: a column when named, else the JSON value at the path. */
export function sqliteSortExpr(parts: string[], dataCol: string, columns: Record<string, string>, params: Params): string {
  const col = parts.length === 1 ? columns[parts[0]!] : undefined;
  return col ?? `json_extract(${dataCol}, ${params.add(sqliteJsonPath(parts))})`;
}
