import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness, type Harness } from "./helpers.js";

/** Every `$ref` in the document must resolve inside it. */
function collectRefs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => collectRefs(x, out));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push(x);
      else collectRefs(x, out);
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  let h: Harness;
  beforeAll(async () => { h = await harness(); });
  afterAll(async () => { await h.close(); });

  it("is served without a key, parses, lists every route and its refs resolve", async () => {
    const res = await h.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe("3.1.0");
    const paths = Object.keys(doc.paths);
    for (const p of [
      "/v1/namespaces", "/v1/namespaces/list", "/v1/namespaces/{namespace_identifier}", "/v1/buckets", "/v1/buckets/list",
      "/v1/buckets/{bucket_identifier}/objects", "/v1/buckets/{bucket_identifier}/batches/{batch_id}/submit",
      "/v1/collections", "/v1/collections/{collection_identifier}/trigger", "/v1/collections/{collection_identifier}/documents/list",
      "/v1/collections/features/extractors", "/v1/tasks/{task_id}", "/v1/tasks/list", "/v1/retrievers", "/v1/retrievers/execute",
      "/v1/retrievers/{retriever_id}/execute", "/v1/retrievers/stages", "/v1/health", "/v1/uploads/{filename}", "/v1/blobs/{key}",
    ]) expect(paths).toContain(p);
    expect(doc.paths["/v1/collections/{collection_identifier}/trigger"].post.responses["202"]).toBeTruthy();
    const create = doc.paths["/v1/collections"].post;
    const reqRef = create.requestBody.content["application/json"].schema.$ref as string;
    const reqSchema = doc.components.schemas[reqRef.split("/").pop()!];
    // lenient input forms are documented
    expect(Object.keys(reqSchema.properties)).toEqual(expect.arrayContaining(["feature_extractor", "feature_extractors", "source"]));
    for (const ref of collectRefs(doc)) {
      expect(ref.startsWith("#/components/schemas/")).toBe(true);
      expect(doc.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeTruthy();
    }
    expect(doc.components.schemas.ErrorResponse.properties.error).toBeTruthy();
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
    expect(new Set(ops).size).toBe(ops.length);
    expect((await h.app.inject({ method: "GET", url: "/v1/openapi.json" })).statusCode).toBe(200);
  });
});
