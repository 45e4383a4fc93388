import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness, json, seedBucketAndCollection, type Backend, type Harness } from "../helpers.js";

const URI = "mixpeek://scene_description@v1/salesforce_blip2_v1";

export function publicRetrieverSuite(backend: Backend): void {
  describe(`published retrievers [${backend.name}]`, () => {
    let h: Harness;
    let ns: string;
    let colId: string;
    const hdr = { "x-namespace": "pub" };
    /** A call without the account key, as a browser on another site makes it. */
    const anon = (method: "GET" | "POST" | "OPTIONS", url: string, body?: unknown, headers: Record<string, string> = {}) =>
      h.app.inject({
        method, url,
        headers: { origin: "https://shop.example", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
    const retriever = async (name: string) => json(await h.call("POST", "/v1/retrievers", {
      retriever_name: name, collection_ids: [colId],
      input_schema: { properties: { query: { type: "text", required: true } } },
      stages: [{ stage_name: "search", config: { stage_id: "feature_search", parameters: { searches: [{ feature_uri: URI, query: "{{INPUT.query}}" }] } } }],
    }, hdr)).retriever_id as string;

    beforeAll(async () => {
      h = await harness({}, backend);
      ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "pub" })).namespace_id;
      colId = (await seedBucketAndCollection(h, hdr)).collection.collection_id;
      await h.store.documents.upsert(["a dog on the beach", "a dog in the snow", "a cat on the beach"].map((description, i) => ({
        document_id: `doc_${i}`, collection_id: colId, namespace_id: ns, object_id: "obj_1",
        fields: { description, start_time: i * 10, end_time: i * 10 + 10, secret_note: "internal", thumbnail_url: `blob://thumbnails/${colId}/doc_${i}.jpg`, _internal: { modality: "video" } },
      })));
    });
    afterAll(async () => { await h.close(); });

    it("publishes once with a one-time key; anyone may search it by its public name, seeing only exposed fields", async () => {
      const id = await retriever("shop-search");
      const pub = await h.call("POST", `/v1/retrievers/${id}/publish`, {
        display_name: "Shop Search!", description: "find scenes",
        display_config: { exposed_fields: ["description", "start_time", "thumbnail_url"] },
      }, hdr);
      expect(pub.statusCode).toBe(200);
      const p = json(pub);
      expect(p).toMatchObject({ retriever_id: id, public_name: "shop-search", display_name: "Shop Search!", require_api_key: false });
      expect(p.public_api_key).toMatch(/^ret_sk_/);
      expect(p.public_url).toMatch(/\/v1\/public\/retrievers\/shop-search\/execute$/);
      const got = json(await h.call("GET", `/v1/retrievers/${id}/publish`, undefined, hdr));
      expect(got.public_name).toBe("shop-search");
      expect(got.public_api_key).toBeUndefined();

      const res = await anon("POST", "/v1/public/retrievers/shop-search/execute", { inputs: { query: "dog" } });
      expect(res.statusCode).toBe(200);
      expect(res.headers["access-control-allow-origin"]).toBe("*");
      const docs = json(res).documents;
      expect(docs.map((d: any) => d.document_id).sort()).toEqual(["doc_0", "doc_1"]);
      for (const d of docs) {
        expect(Object.keys(d).sort()).toEqual(["collection_id", "description", "document_id", "highlight", "score", "start_time", "thumbnail_url"]);
        expect(d.thumbnail_url).toMatch(/\?expires=\d+&sig=/);
      }
      // With the key, the same; with a wrong key, 401.
      expect((await anon("POST", "/v1/public/retrievers/shop-search/execute", { inputs: { query: "dog" } }, { "x-public-api-key": p.public_api_key })).statusCode).toBe(200);
      const wrong = await anon("POST", "/v1/public/retrievers/shop-search/execute", { inputs: { query: "dog" } }, { "x-public-api-key": "ret_sk_nope" });
      expect(wrong.statusCode).toBe(401);
      expect(json(wrong).error.type).toBe("UnauthorizedError");

      // Filters may narrow on exposed fields only: a hidden one would leak through which documents match.
      const narrowed = await anon("POST", "/v1/public/retrievers/shop-search/execute", { inputs: { query: "dog" }, filters: { start_time: { $gte: 10 } } });
      expect(narrowed.statusCode).toBe(200);
      expect(json(narrowed).documents.map((d: any) => d.document_id)).toEqual(["doc_1"]);
      const probing = await anon("POST", "/v1/public/retrievers/shop-search/execute", { inputs: { query: "dog" }, filters: { AND: [{ field: "secret_note", operator: "eq", value: "internal" }] } });
      expect(probing.statusCode).toBe(400);
      expect(json(probing).error.message).toMatch(/"secret_note" is not exposed/);

      const config = json(await anon("GET", "/v1/public/retrievers/shop-search/config"));
      expect(config).toMatchObject({ public_name: "shop-search", description: "find scenes", input_schema: { query: { type: "text", required: true } } });
      const preflight = await anon("OPTIONS", "/v1/public/retrievers/shop-search/execute", undefined, { "access-control-request-method": "POST" });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers["access-control-allow-headers"]).toContain("x-public-api-key");

      // Account routes stay closed to anonymous callers and carry no CORS header.
      const closed = await anon("POST", `/v1/retrievers/${id}/execute`, { inputs: { query: "dog" } });
      expect(closed.statusCode).toBe(401);
      expect(closed.headers["access-control-allow-origin"]).toBeUndefined();
    });

    it("streams, caps the page at max_results_per_query, enforces rate limits and required keys", async () => {
      const id = await retriever("limited");
      const p = json(await h.call("POST", `/v1/retrievers/${id}/publish`, {
        public_name: "limited-search", require_api_key: true, rate_limit_config: { requests_per_minute: 3, max_results_per_query: 1 },
      }, hdr));
      const key = { "x-public-api-key": p.public_api_key };
      expect((await anon("POST", "/v1/public/retrievers/limited-search/execute", { inputs: { query: "beach" } })).statusCode).toBe(401);

      const first = await anon("POST", "/v1/public/retrievers/limited-search/execute", { inputs: { query: "beach" }, pagination: { method: "offset", page_size: 10 } }, key);
      expect(first.statusCode).toBe(200);
      expect(json(first).documents).toHaveLength(1);
      expect(json(first).documents[0]._internal).toBeUndefined();
      expect(json(first).pagination).toMatchObject({ limit: 1, total: 2, has_next: true });
      expect(first.headers).toMatchObject({ "x-ratelimit-limit": "3", "x-ratelimit-remaining": "2", "x-ratelimit-window": "minute" });

      const streamed = await anon("POST", "/v1/public/retrievers/limited-search/execute", { inputs: { query: "beach" }, stream: true }, key);
      expect(streamed.headers["content-type"]).toMatch(/^text\/event-stream/);
      const events = streamed.body.split("\n\n").filter(Boolean).map((b) => b.slice(6)).filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
      expect(events.map((e) => e.event_type)).toEqual(["stage_start", "stage_complete", "execution_complete"]);
      for (const e of events) for (const d of e.documents ?? []) expect(d._internal).toBeUndefined();

      await anon("POST", "/v1/public/retrievers/limited-search/execute", { inputs: { query: "beach" } }, key);
      const limited = await anon("POST", "/v1/public/retrievers/limited-search/execute", { inputs: { query: "beach" } }, key);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      expect(json(limited).error).toMatchObject({ type: "TooManyRequestsError", details: { limit: 3, window: "minute" } });
    });

    it("conflicts, bad names, unpublish and delete", async () => {
      const a = await retriever("one");
      const b = await retriever("two");
      expect((await h.call("POST", `/v1/retrievers/${a}/publish`, { public_name: "taken-name" }, hdr)).statusCode).toBe(200);
      expect((await h.call("POST", `/v1/retrievers/${a}/publish`, { public_name: "other-name" }, hdr)).statusCode).toBe(409);
      expect((await h.call("POST", `/v1/retrievers/${b}/publish`, { public_name: "taken-name" }, hdr)).statusCode).toBe(409);
      const badSlug = await h.call("POST", `/v1/retrievers/${b}/publish`, { public_name: "Not A Slug" }, hdr);
      expect(badSlug.statusCode).toBe(422);
      expect(json(badSlug).error.details.validation_errors[0].path).toBe("public_name");
      expect((await h.call("POST", `/v1/retrievers/${b}/publish`, { display_name: "!!" }, hdr)).statusCode).toBe(422);
      expect((await h.call("POST", `/v1/retrievers/${b}/publish`, {}, hdr)).statusCode).toBe(422);
      expect((await h.call("POST", "/v1/retrievers/ret_missing/publish", { public_name: "x-y-z" }, hdr)).statusCode).toBe(404);

      // Another key's namespace cannot see or unpublish it.
      expect((await h.call("GET", `/v1/retrievers/${a}/publish`)).statusCode).toBe(404);

      expect((await h.call("DELETE", `/v1/retrievers/${a}/publish`, undefined, hdr)).statusCode).toBe(200);
      expect((await anon("POST", "/v1/public/retrievers/taken-name/execute", { inputs: { query: "dog" } })).statusCode).toBe(404);
      expect((await h.call("DELETE", `/v1/retrievers/${a}/publish`, undefined, hdr)).statusCode).toBe(404);

      expect((await h.call("POST", `/v1/retrievers/${b}/publish`, { public_name: "goes-away" }, hdr)).statusCode).toBe(200);
      expect((await h.call("DELETE", `/v1/retrievers/${b}`, undefined, hdr)).statusCode).toBe(200);
      expect((await anon("POST", "/v1/public/retrievers/goes-away/execute", { inputs: { query: "dog" } })).statusCode).toBe(404);
      expect((await h.call("POST", `/v1/retrievers/${await retriever("three")}/publish`, { public_name: "goes-away" }, hdr)).statusCode).toBe(200);
      expect((await anon("GET", "/v1/public/retrievers/no-such-name/config")).statusCode).toBe(404);
    });
  });
}
