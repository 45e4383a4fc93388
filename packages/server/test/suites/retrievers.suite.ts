import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness, json, seedBucketAndCollection, type Backend, type Harness } from "../helpers.js";

const URI = "mixpeek://scene_description@v1/salesforce_blip2_v1";

export function retrieverSuite(backend: Backend): void {
  describe(`retrievers [${backend.name}]`, () => {
    let h: Harness;
    let ns: string;
    let colId: string;
    const hdr = { "x-namespace": "search" };

    beforeAll(async () => {
      h = await harness({}, backend);
      ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "search" })).namespace_id;
      const { collection } = await seedBucketAndCollection(h, hdr);
      colId = collection.collection_id;
      const captions = [
        ["doc_1", "a dog runs on the beach with a dog toy", 0, "outdoor"],
        ["doc_2", "a dog sleeps on a sofa", 10, "indoor"],
        ["doc_3", "a cat sits on the beach", 20, "outdoor"],
        ["doc_4", "a man rides a bicycle in the city", 30, "outdoor"],
        ["doc_5", "a kitchen with a red kettle", 40, "indoor"],
      ] as const;
      await h.store.documents.upsert(captions.map(([id, description, start, scene]) => ({
        document_id: id, collection_id: colId, namespace_id: ns, object_id: "obj_1",
        fields: { description: `${description}, wide shot`, start_time: start, end_time: start + 10, scene, thumbnail_url: `blob://thumbnails/${colId}/${id}.jpg`, _internal: { modality: "video" } },
      })));
    });
    afterAll(async () => { await h.close(); });

    const search = (query: unknown, extra: Record<string, unknown> = {}) => ({
      stage_name: "search", stage_type: "filter",
      config: { stage_id: "feature_search", parameters: { searches: [{ feature_uri: URI, query, top_k: 10 }], final_top_k: 10, ...extra } },
    });

    it("ad-hoc feature_search returns documents with scores, highlights, timestamps and signed thumbnails", async () => {
      const res = await h.call("POST", "/v1/retrievers/execute", {
        collection_identifiers: ["scenes"], input_schema: { query: { type: "text" } },
        stages: [search("{{INPUT.query}}")], inputs: { query: "dog" },
      }, hdr);
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-execution-mode"]).toBe("adhoc");
      const body = json(res);
      expect(body.status).toBe("completed");
      const ids = body.documents.map((d: any) => d.document_id);
      expect(ids.sort()).toEqual(["doc_1", "doc_2"]);
      expect(body.documents[0].document_id).toBe("doc_1"); // mentions "dog" twice
      for (const d of body.documents) {
        expect(d.score).toBeGreaterThan(0);
        expect(d.highlight).toContain("<em>");
        expect(d.collection_id).toBe(colId);
        expect(typeof d.start_time).toBe("number");
        expect(d.thumbnail_url).toMatch(/^http:\/\/localhost(:\d+)?\/v1\/blobs\/thumbnails\/.+\?expires=\d+&sig=/);
      }
      expect(body.stage_statistics.stages.search.output_count).toBe(2);
      expect(body.pagination).toMatchObject({ total: 2, has_next: false });
    });

    it("accepts the flat stage form, string and {input_mode,text} queries and collection_ids", async () => {
      for (const query of ["beach", { input_mode: "text", value: "beach" }, { text: "beach" }]) {
        const res = await h.call("POST", "/v1/retrievers/execute", {
          collection_ids: [colId],
          stages: [{ stage_type: "filter", stage_id: "feature_search", parameters: { searches: [{ feature_uri: URI, query }] } }],
          inputs: {},
        }, hdr);
        expect(res.statusCode).toBe(200);
        expect(json(res).documents.map((d: any) => d.document_id).sort()).toEqual(["doc_1", "doc_3"]);
      }
    });

    it("rrf fuses several searches: score = Σ 1/(60+rank), documents matching both rank first", async () => {
      const single = async (q: string) => json(await h.call("POST", "/v1/retrievers/execute", { collection_identifiers: [colId], stages: [search(q)], inputs: {} }, hdr))
        .documents.map((d: any) => d.document_id) as string[];
      const dog = await single("dog");
      const beach = await single("beach");
      const res = await h.call("POST", "/v1/retrievers/execute", {
        collection_identifiers: [colId],
        stages: [{ stage_name: "multi", config: { stage_id: "feature_search", parameters: {
          searches: [{ feature_uri: URI, query: "{{INPUT.a}}" }, { feature_uri: URI, query: "{{INPUT.b}}" }], fusion: "rrf", final_top_k: 3,
        } } }],
        inputs: { a: "dog", b: "beach" },
      }, hdr);
      const docs = json(res).documents;
      expect(docs).toHaveLength(3);
      expect(docs[0].document_id).toBe("doc_1"); // the only document in both result lists
      const rrf = (id: string) => [dog, beach].reduce((s, list) => (list.includes(id) ? s + 1 / (60 + list.indexOf(id) + 1) : s), 0);
      for (const d of docs) expect(d.score).toBeCloseTo(rrf(d.document_id), 9);
      expect(docs[0].score).toBeGreaterThan(docs[1].score);
    });

    it("attribute_filter, sort_attribute and sort_relevance stages", async () => {
      const res = await h.call("POST", "/v1/retrievers/execute", {
        collection_identifiers: [colId],
        stages: [
          search("shot"),
          { stage_name: "outdoor", config: { stage_id: "attribute_filter", parameters: { field: "scene", operator: "eq", value: "outdoor" } } },
          { stage_name: "by_time", config: { stage_id: "sort_attribute", parameters: { field: "start_time", direction: "desc" } } },
        ],
        inputs: {},
      }, hdr);
      const docs = json(res).documents;
      expect(docs.length).toBeGreaterThan(0);
      expect(docs.every((d: any) => d.scene === "outdoor")).toBe(true);
      const times = docs.map((d: any) => d.start_time);
      expect(times).toEqual([...times].sort((x: number, y: number) => y - x));
      // attribute_filter alone = filter-only over the collection
      const only = json(await h.call("POST", "/v1/retrievers/execute", {
        collection_identifiers: [colId],
        stages: [
          { stage_name: "f", config: { stage_id: "attribute_filter", parameters: { conditions: { AND: [{ field: "start_time", operator: "gte", value: 20 }] } } } },
          { stage_name: "s", config: { stage_id: "sort_relevance", parameters: {} } },
        ],
        inputs: {},
      }, hdr)).documents;
      expect(only.map((d: any) => d.document_id).sort()).toEqual(["doc_3", "doc_4", "doc_5"]);
    });

    it("stored retrievers: create (lenient), get, list, execute with pagination, delete", async () => {
      const created = await h.call("POST", "/v1/retrievers", {
        retriever_name: "scene-search", collection_ids: ["scenes"],
        input_schema: { properties: { query: { type: "text", required: true } } },
        stages: [search({ input_mode: "text", value: "{{INPUT.query}}" })],
      }, hdr);
      expect(created.statusCode).toBe(200);
      const c = json(created);
      expect(c.retriever_id).toMatch(/^ret_/);
      expect(c.retriever.collection_ids).toEqual([colId]);
      expect(c.retriever.stages[0]).toMatchObject({ stage_name: "search", stage_type: "filter", config: { stage_id: "feature_search" } });
      expect(json(await h.call("GET", "/v1/retrievers/scene-search", undefined, hdr)).retriever_id).toBe(c.retriever_id);
      expect(json(await h.call("POST", "/v1/retrievers/list", {}, hdr)).total).toBe(1);
      expect(json(await h.call("GET", `/v1/collections/${colId}`, undefined, hdr)).retriever_count).toBe(1);

      const page1 = json(await h.call("POST", `/v1/retrievers/${c.retriever_id}/execute`, { inputs: { query: "shot" }, pagination: { method: "offset", page_size: 2, page_number: 1 } }, hdr));
      expect(page1.documents).toHaveLength(2);
      expect(page1.pagination).toMatchObject({ has_next: true, has_previous: false, limit: 2, offset: 0 });
      const page2 = json(await h.call("POST", `/v1/retrievers/${c.retriever_id}/execute`, { inputs: { query: "shot" }, pagination: { method: "offset", page_size: 2, page_number: 2 } }, hdr));
      expect(page2.documents.map((d: any) => d.document_id)).not.toContain(page1.documents[0].document_id);

      const missing = await h.call("POST", `/v1/retrievers/${c.retriever_id}/execute`, { inputs: {} }, hdr);
      expect(missing.statusCode).toBe(422);
      expect(json(missing).error.details.validation_errors[0].path).toBe("inputs.query");

      const legacy = json(await h.call("POST", `/v1/retrievers/${c.retriever_id}/execute?include_legacy_results=true`, { inputs: { query: "dog" } }, hdr));
      expect(legacy.results).toEqual(legacy.documents);

      expect(json(await h.call("DELETE", `/v1/retrievers/${c.retriever_id}`, undefined, hdr)).success).toBe(true);
      expect((await h.call("GET", `/v1/retrievers/${c.retriever_id}`, undefined, hdr)).statusCode).toBe(404);
    });

    it("rejects unknown stages, bad parameters, unknown collections and foreign feature URIs", async () => {
      const unknown = await h.call("POST", "/v1/retrievers", { retriever_name: "x", stages: [{ stage_name: "s", config: { stage_id: "llm_filter", parameters: {} } }] }, hdr);
      expect(unknown.statusCode).toBe(422);
      expect(json(unknown).error.details.validation_errors[0].path).toBe("stages.0.config.stage_id");
      const bad = await h.call("POST", "/v1/retrievers", { retriever_name: "y", stages: [search("q", { final_top_k: "many" })] }, hdr);
      expect(bad.statusCode).toBe(422);
      expect(json(bad).error.details.validation_errors[0].path).toBe("stages.0.config.parameters.final_top_k");
      expect((await h.call("POST", "/v1/retrievers", { retriever_name: "z", collection_identifiers: ["nope"], stages: [search("q")] }, hdr)).statusCode).toBe(404);
      const foreign = await h.call("POST", "/v1/retrievers/execute", {
        stages: [{ stage_name: "s", config: { stage_id: "feature_search", parameters: { searches: [{ feature_uri: "mixpeek://text_extractor@v1/multilingual_e5_large_instruct_v1", query: "dog" }] } } }],
        inputs: {},
      }, hdr);
      expect(foreign.statusCode).toBe(400);
      expect(json(foreign).error.message).toMatch(/scene_description/);
    });

    /** `data: …` payloads of a server-sent event stream, in order. */
    const sse = (body: string) => body.split("\n\n").filter((b) => b.trim() !== "").map((b) => {
      expect(b.startsWith("data: ")).toBe(true);
      const data = b.slice("data: ".length);
      return data === "[DONE]" ? data : JSON.parse(data);
    });

    it("stream: true answers with server-sent events per stage, the same final page, then [DONE]", async () => {
      const request = {
        collection_identifiers: ["scenes"], input_schema: { query: { type: "text" } },
        stages: [search("{{INPUT.query}}"), { stage_name: "by_time", config: { stage_id: "sort_attribute", parameters: { field: "start_time", direction: "desc" } } }],
        inputs: { query: "dog" },
      };
      const plain = json(await h.call("POST", "/v1/retrievers/execute", request, hdr));
      const res = await h.call("POST", "/v1/retrievers/execute", { ...request, stream: true }, hdr);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
      expect(res.headers["x-execution-mode"]).toBe("adhoc");
      const events = sse(res.body);
      expect(events.map((e: any) => (e === "[DONE]" ? e : `${e.event_type}${e.stage_index ?? ""}`))).toEqual([
        "stage_start0", "stage_complete0", "stage_start1", "stage_complete1", "execution_complete", "[DONE]",
      ]);
      const [start0, done0, , done1, complete] = events;
      expect(new Set(events.slice(0, 5).map((e: any) => e.execution_id)).size).toBe(1);
      expect(start0).toMatchObject({ stage_name: "search", total_stages: 2 });
      expect(done0.statistics).toMatchObject({ input_count: 0, output_count: 2 });
      expect(done0.documents.map((d: any) => d.document_id).sort()).toEqual(["doc_1", "doc_2"]);
      expect(done1.documents.map((d: any) => d.start_time)).toEqual([10, 0]);
      expect(complete.documents.map((d: any) => d.document_id)).toEqual(plain.documents.map((d: any) => d.document_id));
      expect(complete.documents[0].thumbnail_url).toMatch(/\?expires=\d+&sig=/);
      expect(complete.pagination).toEqual(plain.pagination);
    });

    it("stream: true on a stored retriever; errors before the first stage stay JSON, a failing stage ends the stream", async () => {
      const created = json(await h.call("POST", "/v1/retrievers", {
        retriever_name: "streamed", collection_ids: ["scenes"],
        input_schema: { properties: { query: { type: "text", required: true } } },
        stages: [search("{{INPUT.query}}")],
      }, hdr));
      const ok = await h.call("POST", `/v1/retrievers/${created.retriever_id}/execute`, { inputs: { query: "beach" }, stream: true }, hdr);
      const events = sse(ok.body);
      expect(events.at(-2)).toMatchObject({ event_type: "execution_complete", total_stages: 1 });
      expect(events.at(-2).documents.map((d: any) => d.document_id).sort()).toEqual(["doc_1", "doc_3"]);

      const missing = await h.call("POST", `/v1/retrievers/${created.retriever_id}/execute`, { inputs: {}, stream: true }, hdr);
      expect(missing.statusCode).toBe(422);
      expect(json(missing).error.details.validation_errors[0].path).toBe("inputs.query");

      // The second stage's parameters only fail when it runs: the first stage has already been streamed.
      const failing = await h.call("POST", "/v1/retrievers/execute", {
        collection_identifiers: ["scenes"], inputs: {}, stream: true,
        stages: [search("dog"), { stage_name: "broken", config: { stage_id: "feature_search", parameters: { searches: [{ feature_uri: "mixpeek://other@v1/x", query: "dog" }] } } }],
      }, hdr);
      expect(failing.statusCode).toBe(200);
      const failed = sse(failing.body);
      expect(failed.map((e: any) => (e === "[DONE]" ? e : e.event_type))).toEqual([
        "stage_start", "stage_complete", "stage_start", "stage_error", "execution_error", "[DONE]",
      ]);
      expect(failed[3]).toMatchObject({ stage_name: "broken", stage_index: 1, error: { status: 400, type: "BadRequestError" } });
      expect(failed[4].error.message).toMatch(/scene_description/);
    });

    it("lists its stages", async () => {
      const res = json(await h.call("GET", "/v1/retrievers/stages"));
      expect(res.results.map((s: any) => s.stage_id)).toEqual(expect.arrayContaining(["feature_search", "attribute_filter", "sort_relevance", "sort_attribute"]));
      expect(res.results.find((s: any) => s.stage_id === "feature_search").parameter_schema.properties.final_top_k.default).toBe(25);
    });

    it("documents of another namespace are never found", async () => {
      const res = await h.call("POST", "/v1/retrievers/execute", { stages: [search("dog")], inputs: {} }); // default namespace
      expect(res.statusCode).toBe(200);
      expect(json(res).documents).toHaveLength(0);
    });
  });
}
