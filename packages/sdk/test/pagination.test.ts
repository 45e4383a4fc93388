import { describe, expect, it } from "vitest";
import { MixpeekError, NotFoundError, Page } from "mixpeek";
import type { Collection } from "mixpeek";
import { envelope, makeClient } from "./helpers.js";
import type { SeenRequest } from "./helpers.js";

const ITEMS = Array.from({ length: 25 }, (_, i) => ({ collection_id: `col_${i}`, collection_name: `c${i}` }));

/** A fake list endpoint over ITEMS honouring limit/offset (server default page size 10). */
function listServer(shape: "total_count" | "pagination.total" | "no-total" | "has_more") {
  return (req: SeenRequest) => {
    const limit = Number(req.query["limit"] ?? 10);
    const offset = Number(req.query["offset"] ?? 0);
    const results = ITEMS.slice(offset, offset + limit);
    switch (shape) {
      case "total_count":
        return { body: { results, pagination: { page_size: limit }, total_count: ITEMS.length } };
      case "pagination.total":
        return { body: { results, pagination: { total: ITEMS.length, page_size: limit } } };
      case "has_more":
        return { body: { results, pagination: { has_more: offset + limit < ITEMS.length } } };
      case "no-total":
        return { body: { results } };
    }
  };
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}

describe("pagination", () => {
  for (const shape of ["total_count", "pagination.total", "has_more", "no-total"] as const) {
    it(`iterates every item across pages (${shape})`, async () => {
      const { client, requests } = makeClient(listServer(shape));
      const all = await collect(client.collections.list({ limit: 10, search: "c" }));
      expect(all.map((c) => c.collection_id)).toEqual(ITEMS.map((c) => c.collection_id));
      // no-total stops after the short last page; the others know from the total / flag
      expect(requests.map((r) => r.query["offset"])).toEqual([undefined, "10", "20"]);
      expect(requests.every((r) => r.method === "POST" && r.path === "/v1/collections/list")).toBe(true);
      expect(requests.every((r) => r.query["limit"] === "10")).toBe(true);
      expect(requests.every((r) => (r.body as { search?: string }).search === "c")).toBe(true);
    });
  }

  it("awaiting gives the first page with page helpers", async () => {
    const { client, requests } = makeClient(listServer("total_count"));
    const page = await client.collections.list({ limit: 10 });
    expect(page).toBeInstanceOf(Page);
    expect(page.results).toHaveLength(10);
    expect(page.data).toBe(page.results);
    expect(page.total).toBe(25);
    expect(page.hasNextPage()).toBe(true);
    const second = await page.getNextPage();
    expect(second.results[0]!.collection_id).toBe("col_10");
    expect(second.offset).toBe(10);
    const pages: Page<Collection>[] = [];
    for await (const p of page.iterPages()) pages.push(p);
    expect(pages.map((p) => p.results.length)).toEqual([10, 10, 5]);
    expect(pages[2]!.hasNextPage()).toBe(false);
    await expect(pages[2]!.getNextPage()).rejects.toBeInstanceOf(MixpeekError);
    expect(requests.length).toBe(4);
  });

  it("starts at a given offset", async () => {
    const { client } = makeClient(listServer("total_count"));
    const rest = await collect(client.collections.list({ limit: 10, offset: 20 }));
    expect(rest.map((c) => c.collection_id)).toEqual(["col_20", "col_21", "col_22", "col_23", "col_24"]);
  });

  it("without a limit and without a total, stops after one page rather than guessing", async () => {
    const { client, requests } = makeClient(listServer("no-total"));
    const all = await collect(client.collections.list());
    expect(all).toHaveLength(10);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.query["limit"]).toBeUndefined();
  });

  it("uses the server's page_size when no limit was sent", async () => {
    const { client, requests } = makeClient(listServer("total_count"));
    const all = await collect(client.collections.list());
    expect(all).toHaveLength(25);
    expect(requests).toHaveLength(3);
  });

  it("an empty list yields nothing", async () => {
    const { client } = makeClient(() => ({ body: { results: [], pagination: {}, total_count: 0 } }));
    expect(await collect(client.buckets.list())).toEqual([]);
  });

  it("is lazy: nothing is sent until awaited or iterated", async () => {
    const { client, requests } = makeClient(listServer("total_count"));
    const pending = client.collections.list({ limit: 5 });
    expect(requests).toHaveLength(0);
    await pending;
    await pending;
    expect(requests).toHaveLength(1);
  });

  it("errors on a page surface from the iterator", async () => {
    const { client } = makeClient((req) => (req.query["offset"] === "10" ? envelope(404, "gone") : listServer("total_count")(req)));
    await expect(collect(client.collections.list({ limit: 10 }))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("rejects bad limit/offset and malformed list bodies", async () => {
    const { client } = makeClient((_r, i) => (i === 0 ? { body: { results: "nope" } } : { body: 42 }));
    await expect(client.collections.list({ limit: -1 })).rejects.toThrow(/limit must be a non-negative integer/);
    await expect(client.collections.list({ offset: 0.5 })).rejects.toThrow(/offset/);
    await expect(client.collections.list()).rejects.toThrow(/"results" is not an array/);
    await expect(client.collections.list()).rejects.toThrow(/expected an object/);
  });

  it("passes include_total as a query parameter and reads a root `total`", async () => {
    const { client, requests } = makeClient(() => ({ body: { results: [{ retriever_id: "ret_1" }], total: 1 } }));
    const page = await client.retrievers.list({ include_total: true, limit: 1 });
    expect(requests[0]!.query["include_total"]).toBe("true");
    expect(page.total).toBe(1);
    expect(page.hasNextPage()).toBe(false);
  });
});
