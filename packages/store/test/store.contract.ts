import { FilterSyntaxError, matchesFilter } from "@scenecap/protocol";
import type { LogicalOperator } from "@scenecap/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreConflictError, StoreInputError } from "../src/index.js";
import type { CollectionStore, ResourceRecord, StoredDocument } from "../src/index.js";

/** A fresh, empty, migrated store; `reopen` closes nothing and opens the same data again (persistent backends). */
export interface OpenedStore {
  store: CollectionStore;
  reopen?: () => Promise<CollectionStore>;
}

let seq = 0;
const uid = (p: string) => `${p}_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rec(id: string, ns: string | null, name: string | null, data: Record<string, unknown>, createdMs?: number): ResourceRecord {
  const t = iso(createdMs);
  return { id, namespace_id: ns, name, created_at: t, updated_at: t, data };
}

function doc(ns: string, col: string, id: string, fields: Record<string, unknown>, objectId: string | null = null): StoredDocument {
  return { namespace_id: ns, collection_id: col, document_id: id, object_id: objectId, fields };
}

/**
 * The store contract: every adapter must pass it. `open` returns a fresh empty store per describe block,
 * so blocks never see each other's rows (the job queue is global to a store).
 */
export function storeContract(backend: string, open: () => Promise<OpenedStore>): void {
  describe(`${backend}: store contract`, () => {
    describe("resources", () => {
      let store: CollectionStore;
      beforeAll(async () => {
        store = (await open()).store;
      });
      afterAll(async () => {
        await store.close();
      });

      it("creates, reads by id and by name, updates and deletes", async () => {
        const ns = uid("ns");
        const created = await store.resources.create("collection", rec("col_1" + ns, ns, "scenes", { collection_name: "scenes", n: 1 }));
        expect(created.id).toBe("col_1" + ns);
        const byId = await store.resources.get("collection", ns, "col_1" + ns);
        expect(byId?.data).toEqual({ collection_name: "scenes", n: 1 });
        expect(byId?.name).toBe("scenes");
        expect(byId?.namespace_id).toBe(ns);
        const byName = await store.resources.get("collection", ns, "scenes");
        expect(byName?.id).toBe("col_1" + ns);
        expect(await store.resources.get("bucket", ns, "scenes")).toBeNull();
        expect(await store.resources.get("collection", ns, "nope")).toBeNull();

        const updated = await store.resources.update("collection", ns, "col_1" + ns, (cur) => ({
          data: { ...cur.data, n: (cur.data.n as number) + 1 },
          name: "renamed",
        }));
        expect(updated?.data.n).toBe(2);
        expect(updated?.name).toBe("renamed");
        expect((await store.resources.get("collection", ns, "renamed"))?.data.n).toBe(2);
        expect(await store.resources.get("collection", ns, "scenes")).toBeNull();
        expect(await store.resources.update("collection", ns, "missing", (c) => ({ data: c.data }))).toBeNull();

        expect(await store.resources.delete("collection", ns, "col_1" + ns)).toBe(true);
        expect(await store.resources.delete("collection", ns, "col_1" + ns)).toBe(false);
        expect(await store.resources.get("collection", ns, "col_1" + ns)).toBeNull();
      });

      it("prefers an id match over a name match", async () => {
        const ns = uid("ns");
        await store.resources.create("bucket", rec("b1", ns, "b2", { which: "first" }));
        await store.resources.create("bucket", rec("b2", ns, "other", { which: "second" }));
        expect((await store.resources.get("bucket", ns, "b2"))?.data.which).toBe("second");
      });

      it("rejects a duplicate id or a duplicate name per kind and namespace with StoreConflictError", async () => {
        const ns = uid("ns");
        const other = uid("ns");
        await store.resources.create("bucket", rec("bkt_a" + ns, ns, "media", {}));
        await expect(store.resources.create("bucket", rec("bkt_a" + ns, ns, "else", {}))).rejects.toMatchObject({
          name: "StoreConflictError",
          field: "id",
        });
        const dupName = store.resources.create("bucket", rec("bkt_b" + ns, ns, "media", {}));
        await expect(dupName).rejects.toBeInstanceOf(StoreConflictError);
        await expect(dupName).rejects.toMatchObject({ field: "name" });
        // Same name in another namespace or of another kind is fine; unnamed records never collide.
        await store.resources.create("bucket", rec("bkt_c" + ns, other, "media", {}));
        await store.resources.create("collection", rec("col_c" + ns, ns, "media", {}));
        await store.resources.create("task", rec("t1" + ns, ns, null, {}));
        await store.resources.create("task", rec("t2" + ns, ns, null, {}));
        // Renaming onto a taken name conflicts too, and leaves the record unchanged.
        await store.resources.create("bucket", rec("bkt_d" + ns, ns, "second", { v: 1 }));
        await expect(store.resources.update("bucket", ns, "bkt_d" + ns, () => ({ data: { v: 2 }, name: "media" }))).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect((await store.resources.get("bucket", ns, "bkt_d" + ns))?.data).toEqual({ v: 1 });
      });

      it("keeps namespace names unique among global (null-namespace) records", async () => {
        const name = uid("name");
        await store.resources.create("namespace", rec(uid("ns"), null, name, {}));
        await expect(store.resources.create("namespace", rec(uid("ns"), null, name, {}))).rejects.toBeInstanceOf(StoreConflictError);
        expect((await store.resources.get("namespace", null, name))?.name).toBe(name);
      });

      it("isolates namespaces: a record of namespace A is invisible from namespace B", async () => {
        const a = uid("nsA");
        const b = uid("nsB");
        await store.resources.create("collection", rec("col_iso" + a, a, "shared-name", { secret: true }));
        expect(await store.resources.get("collection", b, "col_iso" + a)).toBeNull();
        expect(await store.resources.get("collection", b, "shared-name")).toBeNull();
        expect(await store.resources.get("collection", null, "col_iso" + a)).toBeNull();
        expect((await store.resources.list("collection", b, { limit: 10, offset: 0 })).total).toBe(0);
        expect(await store.resources.update("collection", b, "col_iso" + a, () => ({ data: { secret: false } }))).toBeNull();
        expect(await store.resources.delete("collection", b, "col_iso" + a)).toBe(false);
        expect((await store.resources.get("collection", a, "col_iso" + a))?.data).toEqual({ secret: true });
      });

      it("loses no increment when many update() calls race", async () => {
        const ns = uid("ns");
        await store.resources.create("batch", rec("bat_race", ns, null, { n: 0, seen: [] }));
        const N = 40;
        await Promise.all(
          Array.from({ length: N }, (_, i) =>
            store.resources.update("batch", ns, "bat_race", (cur) => ({
              data: { n: (cur.data.n as number) + 1, seen: [...(cur.data.seen as number[]), i] },
            })),
          ),
        );
        const after = await store.resources.get("batch", ns, "bat_race");
        expect(after?.data.n).toBe(N);
        expect((after?.data.seen as number[]).slice().sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
      });

      it("sorts, paginates and counts; search matches names case-insensitively", async () => {
        const ns = uid("ns");
        const base = Date.parse("2025-01-01T00:00:00Z");
        const ranks = Array.from({ length: 25 }, (_, i) => (i * 7) % 25);
        for (let i = 0; i < 25; i++) {
          await store.resources.create(
            "object",
            rec(`obj_${String(i).padStart(2, "0")}`, ns, i % 5 === 0 ? `Clip-${i}` : `photo-${i}`, { rank: ranks[i], meta: { w: 25 - i } }, base + i * 1000),
          );
        }
        const page2 = await store.resources.list("object", ns, { limit: 10, offset: 10, sort: { field: "rank", direction: "asc" } });
        expect(page2.total).toBe(25);
        expect(page2.items.map((r) => r.data.rank)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        const last = await store.resources.list("object", ns, { limit: 10, offset: 20, sort: { field: "rank", direction: "desc" } });
        expect(last.items.map((r) => r.data.rank)).toEqual([4, 3, 2, 1, 0]);
        expect(last.total).toBe(25);
        const nested = await store.resources.list("object", ns, { limit: 3, offset: 0, sort: { field: "meta.w", direction: "asc" } });
        expect(nested.items.map((r) => r.id)).toEqual(["obj_24", "obj_23", "obj_22"]);
        const newest = await store.resources.list("object", ns, { limit: 2, offset: 0, sort: { field: "created_at", direction: "desc" } });
        expect(newest.items.map((r) => r.id)).toEqual(["obj_24", "obj_23"]);
        const byName = await store.resources.list("object", ns, { limit: 2, offset: 0, sort: { field: "name", direction: "asc" } });
        expect(byName.items.map((r) => r.name)).toEqual(["Clip-0", "Clip-10"]);
        const dflt = await store.resources.list("object", ns, { limit: 3, offset: 0 });
        expect(dflt.items.map((r) => r.id)).toEqual(["obj_00", "obj_01", "obj_02"]);
        const found = await store.resources.list("object", ns, { limit: 10, offset: 0, search: "CLIP" });
        expect(found.total).toBe(5);
        expect(found.items.every((r) => r.name?.startsWith("Clip-"))).toBe(true);
        const filtered = await store.resources.list("object", ns, {
          limit: 2,
          offset: 0,
          search: "photo",
          filters: { AND: [{ field: "rank", operator: "lt", value: 5 }] },
        });
        // ranks < 5 among non-Clip records: rank 0 is obj_00 (a Clip); 1..4 are photos.
        expect(filtered.total).toBe(4);
        expect(filtered.items).toHaveLength(2);
        const beyond = await store.resources.list("object", ns, { limit: 10, offset: 100 });
        expect(beyond).toEqual({ items: [], total: 25 });
        await expect(store.resources.list("object", ns, { limit: -1, offset: 0 })).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.resources.list("object", ns, { limit: 1, offset: 0, sort: { field: "a;b", direction: "asc" } })).rejects.toBeInstanceOf(
          StoreInputError,
        );
      });

      it("runs migrate() again without harm", async () => {
        const ns = uid("ns");
        await store.resources.create("retriever", rec("ret_m", ns, "r", { ok: 1 }));
        await store.migrate();
        await store.migrate();
        expect((await store.resources.get("retriever", ns, "r"))?.data).toEqual({ ok: 1 });
      });
    });

    describe("filters", () => {
      let store: CollectionStore;
      const ns = uid("ns");
      const dataset: Record<string, Record<string, unknown>> = {
        r1: { title: "Red Fox", year: 2020, score: 4.5, tags: ["Nature", "fox"], meta: { lang: "en", rating: 3 }, flag: true, note: null },
        r2: { title: "blue whale", year: 2018, score: 10, tags: ["ocean"], meta: { lang: "fr" }, flag: false },
        r3: { title: "Green Fox den", year: 2023, score: -1, tags: [], meta: { lang: "EN", rating: 5 }, extra: "x" },
        r4: { title: "zebra", year: "unknown", meta: {}, note: "n" },
        r5: { title: "Fox.*", year: 2020.0, score: 0, "dash-key": "ok" },
      };
      beforeAll(async () => {
        store = (await open()).store;
        for (const [id, data] of Object.entries(dataset)) await store.resources.create("object", rec(id, ns, null, data));
      });
      afterAll(async () => {
        await store.close();
      });

      const cases: Array<[string, LogicalOperator, string[]]> = [
        ["eq string, case-insensitive by default", { AND: [{ field: "title", operator: "eq", value: "red fox" }] }, ["r1"]],
        ["eq string, case_sensitive", { AND: [{ field: "title", operator: "eq", value: "red fox" }], case_sensitive: true }, []],
        ["eq exact case, case_sensitive", { AND: [{ field: "title", operator: "eq", value: "Red Fox" }], case_sensitive: true }, ["r1"]],
        ["eq number (2020 and 2020.0)", { AND: [{ field: "year", operator: "eq", value: 2020 }] }, ["r1", "r5"]],
        ["eq numeric string matches numbers", { AND: [{ field: "year", operator: "eq", value: "2020" }] }, ["r1", "r5"]],
        ["eq on an array field matches an element", { AND: [{ field: "tags", operator: "eq", value: "fox" }] }, ["r1"]],
        ["eq boolean true", { AND: [{ field: "flag", operator: "eq", value: true }] }, ["r1"]],
        ["eq boolean false", { AND: [{ field: "flag", operator: "eq", value: false }] }, ["r2"]],
        ["eq null", { AND: [{ field: "note", operator: "eq", value: null }] }, ["r1"]],
        ["eq on a nested path", { AND: [{ field: "meta.lang", operator: "eq", value: "en" }] }, ["r1", "r3"]],
        ["eq on a key with a dash", { AND: [{ field: "dash-key", operator: "eq", value: "ok" }] }, ["r5"]],
        ["eq with SQL in the value matches nothing", { AND: [{ field: "title", operator: "eq", value: "' OR 1=1 --" }] }, []],
        ["ne (missing counts as not equal)", { AND: [{ field: "year", operator: "ne", value: 2020 }] }, ["r2", "r3", "r4"]],
        ["gt number skips strings", { AND: [{ field: "year", operator: "gt", value: 2019 }] }, ["r1", "r3", "r5"]],
        ["gte number", { AND: [{ field: "score", operator: "gte", value: 4.5 }] }, ["r1", "r2"]],
        ["lt number (10 > 4.5 numerically)", { AND: [{ field: "score", operator: "lt", value: 5 }] }, ["r1", "r3", "r5"]],
        ["lte number", { AND: [{ field: "score", operator: "lte", value: 0 }] }, ["r3", "r5"]],
        ["gt string", { AND: [{ field: "title", operator: "gt", value: "m" }] }, ["r1", "r4"]],
        ["in", { AND: [{ field: "year", operator: "in", value: [2018, 2023] }] }, ["r2", "r3"]],
        ["in, case-insensitive strings", { AND: [{ field: "meta.lang", operator: "in", value: ["EN"] }] }, ["r1", "r3"]],
        ["in empty list", { AND: [{ field: "year", operator: "in", value: [] }] }, []],
        ["nin", { AND: [{ field: "meta.lang", operator: "nin", value: ["en"] }] }, ["r2", "r4", "r5"]],
        ["contains substring", { AND: [{ field: "title", operator: "contains", value: "fox" }] }, ["r1", "r3", "r5"]],
        ["contains array element", { AND: [{ field: "tags", operator: "contains", value: "ocean" }] }, ["r2"]],
        ["contains treats . and * literally", { AND: [{ field: "title", operator: "contains", value: ".*" }] }, ["r5"]],
        ["contains with % and _ matches nothing", { AND: [{ field: "title", operator: "contains", value: "%_" }] }, []],
        ["starts_with", { AND: [{ field: "title", operator: "starts_with", value: "GRE" }] }, ["r3"]],
        ["starts_with literal wildcard", { AND: [{ field: "title", operator: "starts_with", value: "Fox.*" }] }, ["r5"]],
        ["ends_with", { AND: [{ field: "title", operator: "ends_with", value: "WHALE" }] }, ["r2"]],
        ["regex, case-insensitive", { AND: [{ field: "title", operator: "regex", value: "^(red|green) fox" }] }, ["r1", "r3"]],
        ["regex, case_sensitive", { AND: [{ field: "title", operator: "regex", value: "^[a-z]" }], case_sensitive: true }, ["r2", "r4"]],
        ["exists nested", { AND: [{ field: "meta.rating", operator: "exists", value: true }] }, ["r1", "r3"]],
        ["exists counts a null value", { AND: [{ field: "note", operator: "exists" }] }, ["r1", "r4"]],
        ["exists false", { AND: [{ field: "extra", operator: "exists", value: false }] }, ["r1", "r2", "r4", "r5"]],
        ["is_null (missing or null)", { AND: [{ field: "note", operator: "is_null", value: true }] }, ["r1", "r2", "r3", "r5"]],
        ["is_null false", { AND: [{ field: "note", operator: "is_null", value: false }] }, ["r4"]],
        ["text", { AND: [{ field: "title", operator: "text", value: "FOX" }] }, ["r1", "r3", "r5"]],
        [
          "nested AND / OR / NOT",
          {
            AND: [
              { OR: [{ field: "year", operator: "eq", value: 2018 }, { field: "year", operator: "eq", value: 2023 }] },
              { NOT: [{ field: "meta.lang", operator: "eq", value: "fr" }] },
            ],
          },
          ["r3"],
        ],
        ["OR at the root", { OR: [{ field: "flag", operator: "eq", value: false }, { field: "title", operator: "eq", value: "zebra" }] }, ["r2", "r4"]],
        ["NOT of several (none may match)", { NOT: [{ field: "year", operator: "eq", value: 2020 }, { field: "extra", operator: "exists" }] }, ["r2", "r4"]],
        ["case_sensitive inherited by a nested group", { AND: [{ OR: [{ field: "title", operator: "contains", value: "fox" }] }], case_sensitive: true }, []],
        ["case_sensitive on an inner group only", { AND: [{ AND: [{ field: "title", operator: "contains", value: "Fox" }], case_sensitive: true }] }, ["r1", "r3", "r5"]],
        ["empty tree matches all", {}, ["r1", "r2", "r3", "r4", "r5"]],
      ];

      for (const [label, filter, expected] of cases) {
        it(`${label}`, async () => {
          const page = await store.resources.list("object", ns, { limit: 100, offset: 0, filters: filter });
          const got = page.items.map((r) => r.id).sort();
          expect(got).toEqual(expected);
          expect(page.total).toBe(expected.length);
          // The SQL agrees with the protocol's in-memory matcher on this data.
          const reference = Object.entries(dataset)
            .filter(([, data]) => matchesFilter(data, filter))
            .map(([id]) => id)
            .sort();
          expect(got).toEqual(reference);
        });
      }

      it("filters on record columns (id, created_at)", async () => {
        const page = await store.resources.list("object", ns, { limit: 10, offset: 0, filters: { AND: [{ field: "id", operator: "in", value: ["r2", "r4"] }] } });
        expect(page.items.map((r) => r.id).sort()).toEqual(["r2", "r4"]);
        const none = await store.resources.list("object", ns, { limit: 10, offset: 0, filters: { AND: [{ field: "created_at", operator: "lt", value: "2000" }] } });
        expect(none.total).toBe(0);
      });

      it("rejects bad filters with FilterSyntaxError, never a SQL error", async () => {
        const bad: LogicalOperator[] = [
          { AND: [{ field: "title; DROP TABLE resources", operator: "eq", value: 1 }] },
          { AND: [{ field: "a..b", operator: "eq", value: 1 }] },
          { AND: [{ field: "title", operator: "regex", value: "(" }] },
          { AND: [{ field: "year", operator: "in", value: 2020 }] },
          { AND: [{ field: "year", operator: "gt", value: true }] },
          { AND: [{ field: "title", operator: "starts_with", value: 3 }] },
          { AND: [{ field: "title", operator: "bogus" as never, value: 3 }] },
          { XOR: [] } as unknown as LogicalOperator,
        ];
        for (const f of bad) {
          await expect(store.resources.list("object", ns, { limit: 10, offset: 0, filters: f })).rejects.toBeInstanceOf(FilterSyntaxError);
        }
        expect((await store.resources.list("object", ns, { limit: 10, offset: 0 })).total).toBe(5);
      });
    });

    describe("documents", () => {
      let store: CollectionStore;
      beforeAll(async () => {
        store = (await open()).store;
      });
      afterAll(async () => {
        await store.close();
      });

      it("upserts idempotently and rewrites fields and the text index", async () => {
        const ns = uid("ns");
        const docs = [
          doc(ns, "col", "d1", { description: "a red kite over the hill", start_time: 0, end_time: 2, _internal: { lineage: { source_object_id: "obj_1" } } }, "obj_1"),
          doc(ns, "col", "d2", { description: "a boat on the lake", start_time: 2, end_time: 4 }, "obj_1"),
        ];
        await store.documents.upsert(docs);
        await store.documents.upsert(docs);
        expect(await store.documents.count(ns, "col")).toBe(2);
        const d1 = await store.documents.get(ns, "col", "d1");
        expect(d1?.fields._internal).toEqual({ lineage: { source_object_id: "obj_1" } });
        expect(d1?.object_id).toBe("obj_1");
        const createdAt = d1?.created_at;

        await store.documents.upsert([doc(ns, "col", "d1", { description: "a green tractor in a field", start_time: 0, end_time: 2 }, "obj_1")]);
        expect(await store.documents.count(ns, "col")).toBe(2);
        const rewritten = await store.documents.get(ns, "col", "d1");
        expect(rewritten?.fields.description).toBe("a green tractor in a field");
        expect(rewritten?.created_at).toBe(createdAt);
        const search = (text: string) => store.documents.search({ namespace_id: ns, collection_ids: ["col"], text, limit: 10, offset: 0 });
        expect((await search("kite")).total).toBe(0);
        expect((await search("tractor")).items.map((h) => h.document.document_id)).toEqual(["d1"]);

        // A repeated id inside one batch: the last one wins.
        await store.documents.upsert([doc(ns, "col", "d3", { description: "first" }), doc(ns, "col", "d3", { description: "second" })]);
        expect((await store.documents.get(ns, "col", "d3"))?.fields.description).toBe("second");
        expect(await store.documents.count(ns, "col")).toBe(3);
        await expect(store.documents.upsert([doc(ns, "", "x", {})])).rejects.toBeInstanceOf(StoreInputError);
      });

      it("deletes one document or a whole collection", async () => {
        const ns = uid("ns");
        await store.documents.upsert([doc(ns, "a", "1", { description: "one" }), doc(ns, "a", "2", { description: "two" }), doc(ns, "b", "1", { description: "one" })]);
        expect(await store.documents.delete(ns, "a", "1")).toBe(true);
        expect(await store.documents.delete(ns, "a", "1")).toBe(false);
        expect(await store.documents.get(ns, "a", "1")).toBeNull();
        expect(await store.documents.deleteByCollection(ns, "a")).toBe(1);
        expect(await store.documents.count(ns, "a")).toBe(0);
        expect(await store.documents.count(ns, "b")).toBe(1);
        expect((await store.documents.search({ namespace_id: ns, collection_ids: ["a", "b"], text: "one", limit: 10, offset: 0 })).items.map((h) => h.document.collection_id)).toEqual(["b"]);
      });

      it("isolates namespaces for documents", async () => {
        const a = uid("nsA");
        const b = uid("nsB");
        await store.documents.upsert([doc(a, "col", "d", { description: "secret penguin" })]);
        expect(await store.documents.get(b, "col", "d")).toBeNull();
        expect(await store.documents.count(b, "col")).toBe(0);
        expect((await store.documents.list(b, "col", { limit: 10, offset: 0 })).total).toBe(0);
        expect((await store.documents.search({ namespace_id: b, collection_ids: ["col"], text: "penguin", limit: 10, offset: 0 })).total).toBe(0);
        expect(await store.documents.delete(b, "col", "d")).toBe(false);
        expect(await store.documents.deleteByCollection(b, "col")).toBe(0);
        expect((await store.documents.search({ namespace_id: a, collection_ids: ["col"], text: "penguin", limit: 10, offset: 0 })).total).toBe(1);
      });

      it("lists with filters, sort, pagination and full-text search", async () => {
        const ns = uid("ns");
        const docs = Array.from({ length: 12 }, (_, i) =>
          doc(ns, "col", `seg_${String(i).padStart(2, "0")}`, {
            description: i % 3 === 0 ? `a dog on the street ${i}` : `a car parked ${i}`,
            start_time: i * 2.5,
            end_time: i * 2.5 + 2.5,
            _internal: { lineage: { source_object_id: i < 6 ? "obj_a" : "obj_b" } },
          }, i < 6 ? "obj_a" : "obj_b"),
        );
        await store.documents.upsert(docs);
        const page = await store.documents.list(ns, "col", {
          limit: 3,
          offset: 1,
          sort: { field: "start_time", direction: "desc" },
          filters: { AND: [{ field: "_internal.lineage.source_object_id", operator: "eq", value: "obj_b" }] },
        });
        expect(page.total).toBe(6);
        expect(page.items.map((d) => d.fields.start_time)).toEqual([25, 22.5, 20]);
        const byObject = await store.documents.list(ns, "col", { limit: 20, offset: 0, filters: { AND: [{ field: "object_id", operator: "eq", value: "obj_a" }] } });
        expect(byObject.total).toBe(6);
        const dogs = await store.documents.list(ns, "col", { limit: 20, offset: 0, search: "dogs" });
        expect(dogs.items.map((d) => d.document_id)).toEqual(["seg_00", "seg_03", "seg_06", "seg_09"]);
        expect((await store.documents.list(ns, "col", { limit: 20, offset: 0, search: '"*' })).total).toBe(0);
        const dflt = await store.documents.list(ns, "col", { limit: 2, offset: 0 });
        expect(dflt.items.map((d) => d.document_id)).toEqual(["seg_00", "seg_01"]);
      });

      describe("search", () => {
        const ns = uid("ns");
        beforeAll(async () => {
          await store.documents.upsert([
            doc(ns, "c1", "once", { description: "a brown dog sits near a wooden fence in the garden", start_time: 0, end_time: 5 }),
            doc(ns, "c1", "twice", { description: "a dog chases another dog across the grass field", start_time: 5, end_time: 10 }),
            doc(ns, "c1", "runner", { description: "the dogs were running along the beach at sunset", start_time: 10, end_time: 15 }),
            doc(ns, "c1", "cat", { description: "a cat sleeps on a sofa", start_time: 15, end_time: 20 }),
            doc(ns, "c1", "spoken", { description: "an empty kitchen", transcription: "did you feed the parrot today", start_time: 20, end_time: 25 }),
            doc(ns, "c2", "other", { description: "a dog in another collection", start_time: 0, end_time: 5 }),
            doc(ns, "c1", "urlonly", { description: "a quiet room", thumbnail_url: "blob://thumbnails/dog.jpg", source_object_id: "dog" }),
          ]);
        });
        const search = (text: string, extra: Partial<Parameters<CollectionStore["documents"]["search"]>[0]> = {}) =>
          store.documents.search({ namespace_id: ns, collection_ids: ["c1"], text, limit: 10, offset: 0, ...extra });

        it("ranks a document mentioning the term twice above one mentioning it once", async () => {
          const res = await search("dog");
          const ids = res.items.map((h) => h.document.document_id);
          expect(ids).toContain("once");
          expect(ids.indexOf("twice")).toBeLessThan(ids.indexOf("once"));
          const scores = res.items.map((h) => h.score);
          expect(scores).toEqual([...scores].sort((x, y) => y - x));
          expect(res.items.every((h) => h.score > 0)).toBe(true);
          expect(ids).not.toContain("other");
          expect(ids).not.toContain("urlonly");
        });

        it("stems English words the same way for queries and text", async () => {
          const res = await search("dogs running");
          expect(res.items.map((h) => h.document.document_id)).toEqual(["runner"]);
          // All terms are required.
          expect((await search("dog sofa")).total).toBe(0);
          // Stop words alone match nothing; beside a word they are ignored.
          expect((await search("the and of")).total).toBe(0);
          expect((await search("the cat")).items.map((h) => h.document.document_id)).toEqual(["cat"]);
        });

        it("highlights matches with <em>", async () => {
          const res = await search("fence");
          expect(res.items).toHaveLength(1);
          expect(res.items[0]?.highlight).toContain("<em>fence</em>");
          expect(res.items[0]?.highlight).toContain("wooden");
          const twice = await search("chases");
          expect(twice.items[0]?.highlight).toMatch(/<em>chases<\/em>/);
        });

        it("searches other text fields, and only the description when asked", async () => {
          const res = await search("parrot");
          expect(res.items.map((h) => h.document.document_id)).toEqual(["spoken"]);
          expect(res.items[0]?.highlight).toContain("<em>parrot</em>");
          expect((await search("parrot", { fields: ["description"] })).total).toBe(0);
          expect((await search("kitchen", { fields: ["description"] })).total).toBe(1);
        });

        it("applies attribute filters, collection ids and pagination", async () => {
          const filtered = await search("dog", { filters: { AND: [{ field: "start_time", operator: "gte", value: 5 }] } });
          expect(filtered.items.map((h) => h.document.document_id).sort()).toEqual(["runner", "twice"]);
          const both = await search("dog", { collection_ids: ["c1", "c2"] });
          expect(both.total).toBe(4);
          const p1 = await search("dog", { collection_ids: ["c1", "c2"], limit: 2, offset: 0 });
          const p2 = await search("dog", { collection_ids: ["c1", "c2"], limit: 2, offset: 2 });
          expect(p1.total).toBe(4);
          expect(p2.total).toBe(4);
          const all = [...p1.items, ...p2.items].map((h) => h.document.document_id);
          expect(new Set(all).size).toBe(4);
          expect(all).toEqual(both.items.map((h) => h.document.document_id));
          expect((await search("dog", { collection_ids: [] })).total).toBe(0);
          expect(await search("dog", { offset: 50 })).toEqual({ items: [], total: 3 });
        });

        it("never throws on odd query text", async () => {
          const odd = [
            "", "   ", '"', "'", "*", "AND", "OR NOT", "dog AND", "(dog", "NEAR(dog cat)", "-dog", "dog*", "^dog", "{description}: dog",
            "description:dog", "'; DROP TABLE documents; --", "\\", "dog & | ! <-> :*", "😀 dog", "\u0000dog", "a".repeat(5000),
          ];
          for (const q of odd) {
            const res = await search(q);
            expect(res.total).toBeGreaterThanOrEqual(0);
          }
          expect((await search("dog*")).total).toBe(3);
          expect((await search("(dog")).total).toBe(3);
          expect((await search('"')).total).toBe(0);
          expect((await search("NOT")).total).toBe(0);
        });
      });
    });

    describe("api keys", () => {
      let store: CollectionStore;
      beforeAll(async () => {
        store = (await open()).store;
      });
      afterAll(async () => {
        await store.close();
      });

      it("stores hashed keys, grants namespaces and sets the default namespace", async () => {
        const key = { key_id: uid("key"), key_hash: uid("hash"), name: "ci", default_namespace_id: null, created_at: iso() };
        await store.apiKeys.create(key);
        expect(await store.apiKeys.findByHash(key.key_hash)).toEqual(key);
        expect(await store.apiKeys.findByHash("nope")).toBeNull();
        await expect(store.apiKeys.create({ ...key, key_id: uid("key") })).rejects.toBeInstanceOf(StoreConflictError);
        await expect(store.apiKeys.create({ ...key, key_hash: uid("hash") })).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.apiKeys.canAccess(key.key_id, "ns_a")).toBe(false);
        await store.apiKeys.grant(key.key_id, "ns_a");
        await store.apiKeys.grant(key.key_id, "ns_a");
        expect(await store.apiKeys.canAccess(key.key_id, "ns_a")).toBe(true);
        expect(await store.apiKeys.canAccess(key.key_id, "ns_b")).toBe(false);
        await store.apiKeys.setDefaultNamespace(key.key_id, "ns_b");
        expect((await store.apiKeys.findByHash(key.key_hash))?.default_namespace_id).toBe("ns_b");
        expect(await store.apiKeys.canAccess(key.key_id, "ns_b")).toBe(true);
        const other = { key_id: uid("key"), key_hash: uid("hash"), name: "other", default_namespace_id: "ns_c", created_at: iso() };
        await store.apiKeys.create(other);
        expect(await store.apiKeys.canAccess(other.key_id, "ns_c")).toBe(true);
        expect(await store.apiKeys.canAccess(other.key_id, "ns_a")).toBe(false);
        expect((await store.apiKeys.list()).map((k) => k.key_id).sort()).toEqual([key.key_id, other.key_id].sort());
        await expect(store.apiKeys.setDefaultNamespace("missing", "ns_a")).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.apiKeys.grant("missing", "ns_a")).rejects.toBeInstanceOf(StoreInputError);
      });
    });

    describe("local job queue", () => {
      let store: CollectionStore;
      beforeAll(async () => {
        store = (await open()).store;
      });
      afterAll(async () => {
        await store.close();
      });

      it("enqueues idempotently, claims with a lease, completes", async () => {
        await store.jobs.enqueue({ id: "job-a", name: "IndexVideo", payload: { objectId: "obj_1" }, max_attempts: 3 });
        await store.jobs.enqueue({ id: "job-a", name: "IndexVideo", payload: { objectId: "other" }, max_attempts: 3 });
        expect(await store.jobs.counts()).toEqual({ waiting: 1, active: 0, completed: 0, failed: 0 });
        const job = await store.jobs.claim(60_000);
        expect(job).toMatchObject({ id: "job-a", name: "IndexVideo", payload: { objectId: "obj_1" }, state: "active", attempts_made: 1, max_attempts: 3 });
        expect(Date.parse(job!.lease_until!)).toBeGreaterThan(Date.now() + 50_000);
        expect(await store.jobs.claim(60_000)).toBeNull();
        await store.jobs.complete("job-a");
        expect(await store.jobs.counts()).toEqual({ waiting: 0, active: 0, completed: 1, failed: 0 });
        await store.jobs.enqueue({ id: "job-a", name: "IndexVideo", payload: {}, max_attempts: 3 });
        expect(await store.jobs.claim(60_000)).toBeNull();
      });

      it("hands out a job again when its lease expires, unless the lease was extended", async () => {
        await store.jobs.enqueue({ id: "job-b", name: "X", payload: null, max_attempts: 3 });
        const first = await store.jobs.claim(30);
        expect(first?.id).toBe("job-b");
        await store.jobs.extendLease("job-b", 60_000);
        await sleep(60);
        expect(await store.jobs.claim(30)).toBeNull();
        await store.jobs.extendLease("job-b", 1);
        await sleep(20);
        const again = await store.jobs.claim(60_000);
        expect(again?.id).toBe("job-b");
        expect(again?.attempts_made).toBe(2);
        await store.jobs.complete("job-b");
      });

      it("retries at retryAt, fails for good with null, and reaps a job whose last lease expired", async () => {
        await store.jobs.enqueue({ id: "job-c", name: "X", payload: { n: 1 }, max_attempts: 2 });
        await store.jobs.claim(60_000);
        await store.jobs.fail("job-c", "boom", new Date(Date.now() + 60_000));
        expect(await store.jobs.claim(60_000)).toBeNull();
        expect(await store.jobs.counts()).toMatchObject({ waiting: 1, active: 0 });
        await store.jobs.fail("job-c", "boom again", new Date(Date.now() - 1));
        const retried = await store.jobs.claim(60_000);
        expect(retried).toMatchObject({ id: "job-c", attempts_made: 2, last_error: "boom again" });
        await store.jobs.fail("job-c", "fatal", null);
        expect(await store.jobs.counts()).toMatchObject({ failed: 1, active: 0, waiting: 0 });
        expect(await store.jobs.claim(60_000)).toBeNull();

        await store.jobs.enqueue({ id: "job-d", name: "X", payload: null, max_attempts: 1 });
        expect((await store.jobs.claim(10))?.id).toBe("job-d");
        await sleep(30);
        // Out of attempts: never handed out again, and reaped as failed exactly once.
        expect(await store.jobs.claim(60_000)).toBeNull();
        expect(await store.jobs.counts()).toMatchObject({ active: 1, failed: 1 });
        const reaped = await store.jobs.reapExpired();
        expect(reaped).toHaveLength(1);
        expect(reaped[0]).toMatchObject({ id: "job-d", state: "failed", payload: null, attempts_made: 1, lease_until: null });
        expect(reaped[0]!.last_error).toMatch(/lease expired/);
        expect(await store.jobs.reapExpired()).toEqual([]);
        expect(await store.jobs.counts()).toMatchObject({ failed: 2, active: 0 });
      });

      it("hands each job to exactly one of many concurrent claimers", async () => {
        for (let i = 0; i < 10; i++) await store.jobs.enqueue({ id: `par-${i}`, name: "X", payload: i, max_attempts: 1 });
        const claimed = await Promise.all(Array.from({ length: 20 }, () => store.jobs.claim(60_000)));
        const ids = claimed.filter((j) => j !== null).map((j) => j!.id);
        expect(ids).toHaveLength(10);
        expect(new Set(ids).size).toBe(10);
        for (const id of ids) await store.jobs.complete(id);
      });
    });

    describe("persistence", () => {
      it("keeps data across close and reopen", async () => {
        const opened = await open();
        if (!opened.reopen) {
          // In-memory stores forget on close by design; prove the store at least closes cleanly.
          await opened.store.close();
          expect(opened.store.kind).toBe("sqlite");
          return;
        }
        const ns = uid("ns");
        await opened.store.resources.create("collection", rec("col_p", ns, "kept", { v: 1 }));
        await opened.store.documents.upsert([doc(ns, "col_p", "d", { description: "a lighthouse at night" })]);
        await opened.store.jobs.enqueue({ id: "persist", name: "X", payload: { a: 1 }, max_attempts: 1 });
        await opened.store.close();
        const again = await opened.reopen();
        try {
          expect((await again.resources.get("collection", ns, "kept"))?.data).toEqual({ v: 1 });
          expect((await again.documents.search({ namespace_id: ns, collection_ids: ["col_p"], text: "lighthouse", limit: 5, offset: 0 })).total).toBe(1);
          expect((await again.jobs.claim(1000))?.payload).toEqual({ a: 1 });
        } finally {
          await again.close();
        }
      });
    });
  });
}
