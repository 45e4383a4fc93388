import { FilterSyntaxError } from "@scenecap/protocol";
import { numericString } from "../filter-sql.js";
import type { CompareOp, FilterDialect, Params } from "../filter-sql.js";

/**
 * PostgreSQL leaf predicates over `jsonb`. A target is a jsonb expression (`(d.data #> $1::text[])`),
 * SQL NULL when the path is missing. Strings compare with `COLLATE "C"` (byte order, as SQLite does).
 */
export function pgDialect(dataCol: string, columns: Record<string, string>): FilterDialect {
  let alias = 0;
  const fold = (x: string, cs: boolean) => (cs ? x : `lower(${x})`);
  const str = (e: string) => `(${e} #>> '{}')`;
  const text = (p: string) => `${p}::text`;

  function eqElem(e: string, v: unknown, cs: boolean, params: Params): string {
    if (v === undefined) throw new FilterSyntaxError("eq/ne/in need a value");
    if (typeof v === "string") {
      const s = `(jsonb_typeof(${e}) = 'string' AND ${fold(str(e), cs)} = ${fold(text(params.add(v)), cs)})`;
      const n = numericString(v);
      return n === undefined ? s : `(${s} OR (jsonb_typeof(${e}) = 'number' AND ${e} = ${params.add(JSON.stringify(n))}::jsonb))`;
    }
    if (typeof v === "number") return `(jsonb_typeof(${e}) = 'number' AND ${e} = ${params.add(JSON.stringify(v))}::jsonb)`;
    if (typeof v === "boolean") return `(${e} = '${v ? "true" : "false"}'::jsonb)`;
    if (v === null) return `(jsonb_typeof(${e}) = 'null')`;
    return `(${e} = ${params.add(JSON.stringify(v))}::jsonb)`;
  }

  function anyElement(t: string, v: unknown, cs: boolean, params: Params): string {
    const a = `je${++alias}`;
    return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${t}) = 'array' THEN ${t} ELSE '[]'::jsonb END) AS ${a}(e) ` +
      `WHERE ${eqElem(`${a}.e`, v, cs, params)})`;
  }

  return {
    target(parts, params) {
      const col = parts.length === 1 ? columns[parts[0]!] : undefined;
      if (col) return `to_jsonb(${col})`;
      return `(${dataCol} #> ${params.add(parts)}::text[])`;
    },
    eq(t, v, cs, params) {
      const direct = eqElem(t, v, cs, params);
      if (typeof v === "object" && v !== null) return direct;
      return `(${direct} OR (jsonb_typeof(${t}) = 'array' AND ${anyElement(t, v, cs, params)}))`;
    },
    compare(t, op: CompareOp, v, cs, params) {
      if (typeof v === "number") return `(jsonb_typeof(${t}) = 'number' AND ${t} ${op} ${params.add(JSON.stringify(v))}::jsonb)`;
      const s = `(jsonb_typeof(${t}) = 'string' AND (${fold(str(t), cs)}) COLLATE "C" ${op} (${fold(text(params.add(v)), cs)}) COLLATE "C")`;
      const n = numericString(v);
      return n === undefined ? s : `(${s} OR (jsonb_typeof(${t}) = 'number' AND ${t} ${op} ${params.add(JSON.stringify(n))}::jsonb))`;
    },
    contains(t, v, cs, params) {
      if (typeof v === "string") {
        return `(CASE jsonb_typeof(${t}) WHEN 'string' THEN strpos(${fold(str(t), cs)}, ${fold(text(params.add(v)), cs)}) > 0 ` +
          `WHEN 'array' THEN ${anyElement(t, v, cs, params)} ELSE false END)`;
      }
      return `(jsonb_typeof(${t}) = 'array' AND ${anyElement(t, v, cs, params)})`;
    },
    startsWith(t, v, cs, params) {
      return `(jsonb_typeof(${t}) = 'string' AND starts_with(${fold(str(t), cs)}, ${fold(text(params.add(v)), cs)}))`;
    },
    endsWith(t, v, cs, params) {
      const p = fold(text(params.add(v)), cs);
      return `(jsonb_typeof(${t}) = 'string' AND right(${fold(str(t), cs)}, length(${p})) = ${p})`;
    },
    regex(t, pattern, cs, params) {
      return `(jsonb_typeof(${t}) = 'string' AND ${str(t)} ${cs ? "~" : "~*"} ${text(params.add(pattern))})`;
    },
    exists(t, want) {
      return want ? `(${t} IS NOT NULL)` : `(${t} IS NULL)`;
    },
    isNull(t, want) {
      return want ? `(${t} IS NULL OR jsonb_typeof(${t}) = 'null')` : `(${t} IS NOT NULL AND jsonb_typeof(${t}) <> 'null')`;
    },
    trueSql: "true",
    falseSql: "false",
    coalesceFalse: (x) => `coalesce(${x}, false)`,
  };
}

export function pgSortExpr(parts: string[], dataCol: string, columns: Record<string, string>, params: Params): string {
  const col = parts.length === 1 ? columns[parts[0]!] : undefined;
  return col ?? `(${dataCol} #> ${params.add(parts)}::text[])`;
}
