import { describe, expect, it } from "vitest";
import type { Mixpeek } from "mixpeek";
import { makeClient } from "../helpers.js";

interface Case {
  name: string;
  call: (mx: Mixpeek) => Promise<unknown>;
  method: string;
  path: string;
  body?: unknown;
  query?: Record<string, string>;
  namespace?: boolean;
}

const fe = { feature_extractor_name: "scene_description", version: "v1" };
const stages = [{ stage_name: "s", config: { stage_id: "feature_search", parameters: {} } }];

// Every endpoint the server serves, with the exact method, path, body and query the SDK must send.
const CASES: Case[] = [
  { name: "namespaces.create", call: (mx) => mx.namespaces.create({ namespace_name: "n" }), method: "POST", path: "/v1/namespaces", body: { namespace_name: "n" }, namespace: false },
  { name: "namespaces.get", call: (mx) => mx.namespaces.get("ns_1"), method: "GET", path: "/v1/namespaces/ns_1", namespace: false },
  { name: "namespaces.update", call: (mx) => mx.namespaces.update("ns_1", { description: "d" }), method: "PATCH", path: "/v1/namespaces/ns_1", body: { description: "d" }, namespace: false },
  { name: "namespaces.delete", call: (mx) => mx.namespaces.delete("ns_1"), method: "DELETE", path: "/v1/namespaces/ns_1", namespace: false },
  { name: "namespaces.list", call: (mx) => mx.namespaces.list({ limit: 5 }), method: "POST", path: "/v1/namespaces/list", body: {}, query: { limit: "5" }, namespace: false },

  { name: "buckets.create", call: (mx) => mx.buckets.create({ bucket_name: "b", bucket_schema: { properties: { video: { type: "video" } } } }), method: "POST", path: "/v1/buckets", body: { bucket_name: "b", bucket_schema: { properties: { video: { type: "video" } } } } },
  { name: "buckets.get", call: (mx) => mx.buckets.get("bkt_1"), method: "GET", path: "/v1/buckets/bkt_1" },
  { name: "buckets.update", call: (mx) => mx.buckets.update("bkt_1", { description: "d" }), method: "PATCH", path: "/v1/buckets/bkt_1", body: { description: "d" } },
  { name: "buckets.delete", call: (mx) => mx.buckets.delete("bkt_1"), method: "DELETE", path: "/v1/buckets/bkt_1" },
  { name: "buckets.list", call: (mx) => mx.buckets.list({ search: "b" }), method: "POST", path: "/v1/buckets/list", body: { search: "b" } },

  { name: "buckets.objects.createBatch", call: (mx) => mx.buckets.objects.createBatch("bkt_1", { objects: [{ blobs: [{ property: "video", type: "video", data: "https://x/v.mp4" }] }], policy: "insert" }), method: "POST", path: "/v1/buckets/bkt_1/objects/batch", body: { objects: [{ blobs: [{ property: "video", type: "video", data: "https://x/v.mp4" }] }] }, query: { policy: "insert" } },
  { name: "buckets.objects.create", call: (mx) => mx.buckets.objects.create("bkt_1", { blobs: [{ property: "video", type: "video", data: "https://x/v.mp4" }], policy: "upsert", auto_process: false }), method: "POST", path: "/v1/buckets/bkt_1/objects", body: { blobs: [{ property: "video", type: "video", data: "https://x/v.mp4" }] }, query: { policy: "upsert", auto_process: "false" } },
  { name: "objects.get", call: (mx) => mx.objects.get("bkt_1", "obj_1"), method: "GET", path: "/v1/buckets/bkt_1/objects/obj_1" },
  { name: "objects.delete", call: (mx) => mx.objects.delete("bkt_1", "obj_1"), method: "DELETE", path: "/v1/buckets/bkt_1/objects/obj_1" },
  { name: "objects.list", call: (mx) => mx.objects.list("bkt_1", { limit: 2, offset: 4 }), method: "POST", path: "/v1/buckets/bkt_1/objects/list", body: {}, query: { limit: "2", offset: "4" } },

  { name: "batches.create", call: (mx) => mx.batches.create("bkt_1", { object_ids: ["obj_1"], skip_validation: true }), method: "POST", path: "/v1/buckets/bkt_1/batches", body: { object_ids: ["obj_1"] }, query: { skip_validation: "true" } },
  { name: "batches.submit", call: (mx) => mx.buckets.batches.submit("bkt_1", "btch_1"), method: "POST", path: "/v1/buckets/bkt_1/batches/btch_1/submit", body: {} },
  { name: "batches.get", call: (mx) => mx.batches.get("bkt_1", "btch_1"), method: "GET", path: "/v1/buckets/bkt_1/batches/btch_1" },
  { name: "batches.list", call: (mx) => mx.batches.list("bkt_1"), method: "POST", path: "/v1/buckets/bkt_1/batches/list", body: {} },

  { name: "collections.create", call: (mx) => mx.collections.create({ collection_name: "c", source: { type: "bucket", bucket_ids: ["bkt_1"] }, feature_extractor: fe }), method: "POST", path: "/v1/collections", body: { collection_name: "c", source: { type: "bucket", bucket_ids: ["bkt_1"] }, feature_extractor: fe } },
  { name: "collections.get", call: (mx) => mx.collections.get("c"), method: "GET", path: "/v1/collections/c" },
  { name: "collections.update", call: (mx) => mx.collections.update("c", { description: "d" }), method: "PATCH", path: "/v1/collections/c", body: { description: "d" } },
  { name: "collections.delete", call: (mx) => mx.collections.delete("c"), method: "DELETE", path: "/v1/collections/c" },
  { name: "collections.list", call: (mx) => mx.collections.list({ sort: { field: "created_at", direction: "desc" } }), method: "POST", path: "/v1/collections/list", body: { sort: { field: "created_at", direction: "desc" } } },
  { name: "collections.trigger", call: (mx) => mx.collections.trigger("c"), method: "POST", path: "/v1/collections/c/trigger", body: {} },
  { name: "collections.features", call: (mx) => mx.collections.features("c"), method: "GET", path: "/v1/collections/c/features" },

  { name: "documents.create", call: (mx) => mx.collections.documents.create("c", { description: "x" }), method: "POST", path: "/v1/collections/c/documents", body: { description: "x" } },
  { name: "documents.get", call: (mx) => mx.documents.get("c", "doc_1"), method: "GET", path: "/v1/collections/c/documents/doc_1" },
  { name: "documents.delete", call: (mx) => mx.documents.delete("c", "doc_1"), method: "DELETE", path: "/v1/collections/c/documents/doc_1" },
  { name: "documents.list", call: (mx) => mx.documents.list("c", { limit: 3, return_url: true }), method: "POST", path: "/v1/collections/c/documents/list", body: { return_url: true }, query: { limit: "3" } },

  { name: "tasks.get", call: (mx) => mx.tasks.get("t-1"), method: "GET", path: "/v1/tasks/t-1" },
  { name: "tasks.list", call: (mx) => mx.tasks.list({ status: "PENDING" }), method: "POST", path: "/v1/tasks/list", body: { status: "PENDING" } },
  { name: "tasks.delete", call: (mx) => mx.tasks.delete("t-1"), method: "DELETE", path: "/v1/tasks/t-1" },

  { name: "featureExtractors.list", call: (mx) => mx.featureExtractors.list(), method: "GET", path: "/v1/collections/features/extractors", namespace: false },
  { name: "featureExtractors.get", call: (mx) => mx.featureExtractors.get("scene_description_v1"), method: "GET", path: "/v1/collections/features/extractors/scene_description_v1", namespace: false },

  { name: "retrievers.create", call: (mx) => mx.retrievers.create({ retriever_name: "r", stages }), method: "POST", path: "/v1/retrievers", body: { retriever_name: "r", stages } },
  { name: "retrievers.get", call: (mx) => mx.retrievers.get("ret_1"), method: "GET", path: "/v1/retrievers/ret_1" },
  { name: "retrievers.list", call: (mx) => mx.retrievers.list(), method: "POST", path: "/v1/retrievers/list", body: {} },
  { name: "retrievers.delete", call: (mx) => mx.retrievers.delete("ret_1"), method: "DELETE", path: "/v1/retrievers/ret_1" },
  { name: "retrievers.execute", call: (mx) => mx.retrievers.execute("ret_1", { inputs: { q: "dog" } }), method: "POST", path: "/v1/retrievers/ret_1/execute", body: { inputs: { q: "dog" } } },
  { name: "retrievers.executeAdhoc", call: (mx) => mx.retrievers.executeAdhoc({ collection_identifiers: ["c"], input_schema: { q: { type: "text" } }, stages, inputs: { q: "dog" } }), method: "POST", path: "/v1/retrievers/execute", body: { collection_identifiers: ["c"], input_schema: { q: { type: "text" } }, stages, inputs: { q: "dog" } } },
  { name: "retrievers.stages", call: (mx) => mx.retrievers.stages(), method: "GET", path: "/v1/retrievers/stages" },

  { name: "health.check", call: (mx) => mx.health.check(), method: "GET", path: "/v1/health", namespace: false },
];

describe("resource endpoints", () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.method} ${c.path}`, async () => {
      const { client, requests } = makeClient(() => ({ body: { results: [] } }), { namespace: "ns_scope" });
      await c.call(client);
      expect(requests).toHaveLength(1);
      const req = requests[0]!;
      expect(req.method).toBe(c.method);
      expect(req.path).toBe(c.path);
      expect(req.body).toEqual(c.body);
      expect(req.query).toEqual(c.query ?? {});
      expect(req.headers["x-namespace"]).toBe(c.namespace === false ? undefined : "ns_scope");
      expect(req.headers["authorization"]).toBe("Bearer sk_test");
    });
  }
});

describe("response shaping", () => {
  it("execute returns `documents`, falling back to the deprecated `results`", async () => {
    const { client } = makeClient((_r, i) =>
      i === 0 ? { body: { documents: [{ document_id: "d1", score: 2 }] } } : { body: { results: [{ document_id: "d2", score: 1 }] } },
    );
    expect((await client.retrievers.execute("r", { inputs: {} })).documents.map((d) => d.document_id)).toEqual(["d1"]);
    expect((await client.retrievers.executeAdhoc({ input_schema: {}, stages: [], inputs: {} })).documents.map((d) => d.document_id)).toEqual(["d2"]);
  });

  it("feature extractor and stage lists accept arrays or wrapped lists", async () => {
    const { client } = makeClient((_r, i) =>
      [
        { body: [{ feature_extractor_id: "a_v1" }] },
        { body: { results: [{ feature_extractor_id: "b_v1" }] } },
        { body: { stages: [{ stage_id: "feature_search" }] } },
        { body: [{ stage_id: "attribute_filter" }] },
      ][i]!,
    );
    expect((await client.featureExtractors.list()).map((f) => f.feature_extractor_id)).toEqual(["a_v1"]);
    expect((await client.featureExtractors.list()).map((f) => f.feature_extractor_id)).toEqual(["b_v1"]);
    expect((await client.retrievers.stages()).map((s) => s.stage_id)).toEqual(["feature_search"]);
    expect((await client.retrievers.stages()).map((s) => s.stage_id)).toEqual(["attribute_filter"]);
  });

  it("objects and documents are the same resources as buckets.objects and collections.documents", async () => {
    const { client } = makeClient(() => ({ body: {} }));
    expect(client.objects).toBe(client.buckets.objects);
    expect(client.batches).toBe(client.buckets.batches);
    expect(client.documents).toBe(client.collections.documents);
  });
});
