import { describe, expect, it } from "vitest";
import { FilterInput, filterFields, matchesFilter, normalizeFilters, FilterSyntaxError } from "@scenecap/protocol";

describe("normalizeFilters", () => {
  it("keeps a full tree", () => {
    const f = { AND: [{ field: "a", operator: "eq", value: 1 }, { OR: [{ field: "b", operator: "gt", value: 2 }] }], case_sensitive: true };
    expect(normalizeFilters(f)).toEqual(f);
  });
  it("wraps a bare condition (operator defaults to eq)", () => {
    expect(normalizeFilters({ field: "metadata.title", value: "x" })).toEqual({ AND: [{ field: "metadata.title", operator: "eq", value: "x" }] });
  });
  it("expands the shorthand, with operator objects", () => {
    expect(normalizeFilters({ "metadata.title": "x", year: { gte: 2020, $lt: 2030 } })).toEqual({
      AND: [
        { field: "metadata.title", operator: "eq", value: "x" },
        { field: "year", operator: "gte", value: 2020 },
        { field: "year", operator: "lt", value: 2030 },
      ],
    });
  });
  it("accepts lowercase logical keys and single objects", () => {
    expect(normalizeFilters({ or: { a: 1 } })).toEqual({ OR: [{ field: "a", operator: "eq", value: 1 }] });
  });
  it("empty → undefined; junk → FilterSyntaxError with a path", () => {
    expect(normalizeFilters({})).toBeUndefined();
    expect(normalizeFilters(null)).toBeUndefined();
    expect(() => normalizeFilters({ AND: [5] })).toThrow(FilterSyntaxError);
    try {
      normalizeFilters({ AND: [{ field: "x", operator: "near" }] });
    } catch (e) {
      expect((e as FilterSyntaxError).path).toEqual(["AND", 0, "operator"]);
    }
  });
  it("FilterInput parses every form and reports bad ones as issues", () => {
    expect(FilterInput.parse({ "metadata.title": "x" })).toEqual({ AND: [{ field: "metadata.title", operator: "eq", value: "x" }] });
    const bad = FilterInput.safeParse({ AND: [{ field: "x", operator: "near" }] });
    expect(bad.success).toBe(false);
  });
});

describe("matchesFilter", () => {
  const doc = { title: "Dog Days", n: 5, tags: ["a", "b"], nested: { s: "hello" }, nil: null };
  const t = (f: unknown) => matchesFilter(doc, normalizeFilters(f));
  it("evaluates every operator", () => {
    expect(t({ title: "dog days" })).toBe(true); // case-insensitive by default
    expect(t({ field: "title", value: "dog days", case_sensitive: true })).toBe(false);
    expect(t({ n: { gt: 4, lte: 5 } })).toBe(true);
    expect(t({ n: { lt: 5 } })).toBe(false);
    expect(t({ n: { in: [1, 5] } })).toBe(true);
    expect(t({ n: { nin: [1, 5] } })).toBe(false);
    expect(t({ tags: { contains: "b" } })).toBe(true);
    expect(t({ tags: "a" })).toBe(true);
    expect(t({ "nested.s": { starts_with: "he", ends_with: "lo" } })).toBe(true);
    expect(t({ "nested.s": { regex: "^H.l+o$" } })).toBe(true);
    expect(t({ missing: { exists: false } })).toBe(true);
    expect(t({ title: { exists: true } })).toBe(true);
    expect(t({ nil: { is_null: true } })).toBe(true);
    expect(t({ title: { text: "days" } })).toBe(true);
    expect(t({ title: { ne: "x" } })).toBe(true);
  });
  it("combines AND / OR / NOT", () => {
    expect(t({ OR: [{ field: "n", value: 1 }, { field: "n", value: 5 }] })).toBe(true);
    expect(t({ NOT: [{ field: "n", value: 5 }] })).toBe(false);
    expect(t({ AND: [{ field: "n", value: 5 }, { NOT: [{ field: "title", operator: "contains", value: "cat" }] }] })).toBe(true);
  });
});

describe("matchesFilter agrees with the store's SQL semantics", () => {
  const doc = {
    tags: ["Nature", "Sunset", 7],
    nested: [["Deep"]],
    objs: [{ k: "V" }],
    pair: ["A", "B"],
    title: "Éclair Time",
    year: 2020,
    year_s: "2020",
    n: 10,
  };
  const t = (f: unknown) => matchesFilter(doc, normalizeFilters(f));

  it("case-insensitive eq / in / nin / contains / text reach the elements of an array field", () => {
    expect(t({ tags: "NATURE" })).toBe(true);
    expect(t({ tags: "nature" })).toBe(true);
    expect(t({ tags: { ne: "NATURE" } })).toBe(false);
    expect(t({ tags: { in: ["x", "SUNSET"] } })).toBe(true);
    expect(t({ tags: { nin: ["SUNSET"] } })).toBe(false);
    expect(t({ tags: { contains: "nature" } })).toBe(true);
    expect(t({ tags: { text: "SUNSET" } })).toBe(true);
  });

  it("case_sensitive keeps array elements exact", () => {
    expect(t({ field: "tags", operator: "eq", value: "NATURE", case_sensitive: true })).toBe(false);
    expect(t({ field: "tags", operator: "eq", value: "Nature", case_sensitive: true })).toBe(true);
    expect(t({ field: "tags", operator: "contains", value: "nature", case_sensitive: true })).toBe(false);
    // text ignores case_sensitive
    expect(t({ field: "tags", operator: "text", value: "nature", case_sensitive: true })).toBe(true);
  });

  it("array elements are matched one level deep; numeric strings match numbers", () => {
    expect(t({ nested: "Deep" })).toBe(false);
    expect(t({ tags: 7 })).toBe(true);
    expect(t({ tags: "7" })).toBe(true);
    expect(t({ tags: { contains: 7 } })).toBe(true);
  });

  it("an array or object value compares as a whole JSON value, case-sensitively", () => {
    expect(t({ field: "pair", operator: "eq", value: ["A", "B"] })).toBe(true);
    expect(t({ field: "pair", operator: "eq", value: ["a", "b"] })).toBe(false);
    expect(t({ field: "pair", operator: "eq", value: ["A"] })).toBe(false);
    expect(t({ field: "objs", operator: "contains", value: { k: "V" } })).toBe(true);
    expect(t({ field: "objs", operator: "contains", value: { k: "v" } })).toBe(false);
    expect(t({ field: "pair", operator: "in", value: [["A", "B"]] })).toBe(true);
  });

  it("ordering compares like types only; a numeric string value also reaches numbers, not the reverse", () => {
    expect(t({ year: { gte: "2020" } })).toBe(true);
    expect(t({ year_s: { gt: 2019 } })).toBe(false);
    expect(t({ year_s: { gt: "2019" } })).toBe(true);
    expect(t({ n: { gt: "9" } })).toBe(true);
    expect(t({ tags: { gt: "a" } })).toBe(false);
    expect(t({ title: { gt: "éclair" } })).toBe(true);
    expect(t({ field: "title", operator: "gt", value: "éclair", case_sensitive: true })).toBe(false);
  });

  it("starts_with / ends_with / regex fold case on string fields only", () => {
    expect(t({ title: { starts_with: "ÉCLAIR", ends_with: "TIME" } })).toBe(true);
    expect(t({ tags: { starts_with: "nat" } })).toBe(false);
    expect(t({ title: { regex: "^éclair" } })).toBe(true);
    expect(t({ tags: { regex: "nature" } })).toBe(false);
  });
});

describe("filterFields", () => {
  it("lists every compared field of a nested tree, in order", () => {
    const tree = normalizeFilters({ AND: [{ field: "a", operator: "eq", value: 1 }, { OR: [{ field: "b.c", value: 2 }, { NOT: [{ field: "d", operator: "exists" }] }] }] });
    expect(filterFields(tree)).toEqual(["a", "b.c", "d"]);
    expect(filterFields(normalizeFilters({ start_time: { $gte: 10 } }))).toEqual(["start_time"]);
    expect(filterFields(undefined)).toEqual([]);
  });
});
