import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@scenecap/server";
import { harness, json, seedBucketAndCollection, type Harness } from "./helpers.js";

function expectEnvelope(res: { statusCode: number; json(): any }, status: number, type: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.success).toBe(false);
  expect(body.status).toBe(status);
  expect(body.error.type).toBe(type);
  expect(typeof body.error.message).toBe("string");
  return body;
}

describe("errors, auth and isolation", () => {
  let h: Harness;
  beforeAll(async () => { h = await harness({ bodyLimit: 64 * 1024 }); });
  afterAll(async () => { await h.close(); });

  it("missing, malformed and invalid keys → 401 envelope", async () => {
    expectEnvelope(await h.app.inject({ method: "POST", url: "/v1/buckets/list", payload: {} }), 401, "UnauthorizedError");
    expectEnvelope(await h.app.inject({ method: "POST", url: "/v1/buckets/list", headers: { authorization: "Token abc" }, payload: {} }), 401, "UnauthorizedError");
    expectEnvelope(await h.app.inject({ method: "GET", url: "/v1/tasks/x", headers: { authorization: "Bearer sk_wrong" } }), 401, "UnauthorizedError");
  });

  it("configured keys (SCENECAP_API_KEYS) are accepted after seeding", async () => {
    const { seedApiKeys } = await import("@scenecap/server");
    await seedApiKeys(h.store, ["sk_from_env_1234567890"]);
    await seedApiKeys(h.store, ["sk_from_env_1234567890"]); // idempotent
    const res = await h.app.inject({ method: "POST", url: "/v1/buckets/list", headers: { authorization: "Bearer sk_from_env_1234567890" } });
    expect(res.statusCode).toBe(200);
  });

  it("malformed JSON → 400; wrong content type → 415", async () => {
    const body = expectEnvelope(await h.call("POST", "/v1/buckets", "{\"bucket_name\": "), 400, "BadRequestError");
    expect(body.error.message).toMatch(/JSON/);
    expectEnvelope(await h.call("POST", "/v1/buckets", "x=1", { "content-type": "application/x-www-form-urlencoded" }), 415, "UnsupportedMediaTypeError");
  });

  it("wrong types → 422 with field paths", async () => {
    const res = await h.call("POST", "/v1/buckets", { bucket_name: 42, bucket_schema: { properties: { video: { type: "movie" } } } });
    const body = expectEnvelope(res, 422, "ValidationError");
    const paths = body.error.details.validation_errors.map((e: any) => e.path);
    expect(paths).toContain("bucket_name");
    expect(paths).toContain("bucket_schema.properties.video.type");
    const col = await h.call("POST", "/v1/collections", {
      collection_name: "c", source: { bucket_ids: ["bkt_x"] },
      feature_extractor: { feature_extractor_name: "scene_description", parameters: { num_beams: "five" } },
    });
    // the bucket is checked first
    expect(col.statusCode).toBe(404);
  });

  it("extractor parameters are validated at collection creation (422 with paths)", async () => {
    const b = json(await h.call("POST", "/v1/buckets", { bucket_name: "pv", bucket_schema: { properties: { video: { type: "video" } } } }));
    const res = await h.call("POST", "/v1/collections", {
      collection_name: "bad-params", source: { bucket_ids: [b.bucket_id] },
      feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { num_beams: "five", split_method: "silence" } },
    });
    const body = expectEnvelope(res, 422, "ValidationError");
    const paths = body.error.details.validation_errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["feature_extractor.parameters.num_beams", "feature_extractor.parameters.split_method"]));
    const unknown = await h.call("POST", "/v1/collections", {
      collection_name: "unknown-fe", source: { bucket_ids: [b.bucket_id] }, feature_extractor: { feature_extractor_name: "text_extractor", version: "v1" },
    });
    expect(expectEnvelope(unknown, 404, "NotFoundError").error.message).toMatch(/not found in registry/);
    const two = await h.call("POST", "/v1/collections", {
      collection_name: "two", source: { bucket_ids: [b.bucket_id] },
      feature_extractors: [{ name: "scene_description" }, { name: "scene_description" }],
    });
    expect(expectEnvelope(two, 422, "ValidationError").error.details.validation_errors[0].path).toBe("feature_extractors");
  });

  it("blob property not in the schema and bad base64 → 422", async () => {
    const b = json(await h.call("POST", "/v1/buckets", { bucket_name: "bp", bucket_schema: { properties: { video: { type: "video" } } } }));
    const res = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects`, { blobs: [{ property: "audio", type: "audio", data: "https://e.com/a.mp3" }] });
    expect(expectEnvelope(res, 422, "ValidationError").error.details.validation_errors[0].path).toBe("blobs.0.property");
    const bad = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: { base64: "***not base64***" } }] });
    expectEnvelope(bad, 422, "ValidationError");
    const scheme = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: "file:///etc/passwd" }] });
    expectEnvelope(scheme, 422, "ValidationError");
  });

  it("unknown ids → 404; unknown routes → 404 envelope; name conflicts → 409", async () => {
    expectEnvelope(await h.call("GET", "/v1/buckets/bkt_nope"), 404, "NotFoundError");
    expectEnvelope(await h.call("GET", "/v1/collections/col_nope"), 404, "NotFoundError");
    expectEnvelope(await h.call("GET", "/v1/tasks/00000000-0000-4000-8000-000000000000"), 404, "NotFoundError");
    expectEnvelope(await h.call("GET", "/v1/retrievers/ret_nope"), 404, "NotFoundError");
    expectEnvelope(await h.call("POST", "/v1/buckets/bkt_nope/batches", { object_ids: ["obj_x"] }), 404, "NotFoundError");
    expectEnvelope(await h.call("GET", "/v1/nothing-here"), 404, "NotFoundError");
    await h.call("POST", "/v1/buckets", { bucket_name: "same", bucket_schema: { properties: {} } });
    expectEnvelope(await h.call("POST", "/v1/buckets", { bucket_name: "same", bucket_schema: { properties: {} } }), 409, "AlreadyExistsError");
    const { bucket } = await seedBucketAndCollection(h);
    const batch = await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches`, { object_ids: ["obj_missing"] });
    expect(expectEnvelope(batch, 404, "NotFoundError").error.details.missing_object_ids).toEqual(["obj_missing"]);
  });

  it("oversized body → 413 envelope", async () => {
    const big = { bucket_name: "big", bucket_schema: { properties: {} }, description: "x".repeat(100 * 1024) };
    expectEnvelope(await h.call("POST", "/v1/buckets", big), 413, "PayloadTooLargeError");
  });

  it("an unknown X-Namespace → 404", async () => {
    expectEnvelope(await h.call("POST", "/v1/buckets/list", {}, { "x-namespace": "ns_doesnotexist" }), 404, "NotFoundError");
  });

  it("two keys never see each other's namespaces or resources", async () => {
    const other = await createApiKey(h.store, "other");
    const as = (key: string) => (method: "GET" | "POST", url: string, body?: unknown, headers: Record<string, string> = {}) =>
      h.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(body !== undefined ? { payload: body as object } : {}) });
    const a = as(h.key);
    const b = as(other.secret);
    const nsA = (await a("POST", "/v1/namespaces", { namespace_name: "private" })).json();
    // B may use the same name: names are per key
    const nsB = (await b("POST", "/v1/namespaces", { namespace_name: "private" })).json();
    expect(nsB.namespace_id).not.toBe(nsA.namespace_id);
    // B cannot address A's namespace by id, nor see it listed
    expect((await b("GET", `/v1/namespaces/${nsA.namespace_id}`)).statusCode).toBe(404);
    expect((await b("POST", "/v1/buckets/list", {}, { "x-namespace": nsA.namespace_id })).statusCode).toBe(404);
    const listed = (await b("POST", "/v1/namespaces/list", {})).json();
    expect(listed.results.map((n: any) => n.namespace_id)).not.toContain(nsA.namespace_id);
    // default namespaces differ too
    const bucketA = (await a("POST", "/v1/buckets", { bucket_name: "mine", bucket_schema: { properties: {} } })).json();
    expect((await b("GET", `/v1/buckets/${bucketA.bucket_id}`)).statusCode).toBe(404);
    expect((await b("GET", "/v1/buckets/mine")).statusCode).toBe(404);
    expect((await a("GET", "/v1/buckets/mine")).statusCode).toBe(200);
  });

  it("validation errors in list query strings → 422", async () => {
    const res = await h.call("POST", "/v1/buckets/list?limit=abc", {});
    expect(expectEnvelope(res, 422, "ValidationError").error.details.validation_errors[0].loc).toEqual(["query", "limit"]);
  });

  it("filters the store rejects (bad path, invalid regex, wrong value type) and bad sort fields → 400 envelope", async () => {
    await h.call("POST", "/v1/namespaces", { namespace_name: "badfilters" });
    const hdr = { "x-namespace": "badfilters" };
    const { collection } = await seedBucketAndCollection(h, hdr);
    const docs = `/v1/collections/${collection.collection_id}/documents/list`;
    const badPath = await h.call("POST", docs, { filters: { AND: [{ field: "metadata..title", operator: "eq", value: "x" }] } }, hdr);
    expect(expectEnvelope(badPath, 400, "BadRequestError").error.message).toMatch(/metadata\.\.title/);
    const badRegex = await h.call("POST", docs, { filters: { AND: [{ field: "description", operator: "regex", value: "(unclosed" }] } }, hdr);
    expect(expectEnvelope(badRegex, 400, "BadRequestError").error.message).toMatch(/regex/);
    const badType = await h.call("POST", docs, { filters: { AND: [{ field: "start_time", operator: "in", value: 5 }] } }, hdr);
    expect(expectEnvelope(badType, 400, "BadRequestError").error.message).toMatch(/array/);
    const badSort = await h.call("POST", docs, { sort: { field: "no such field!", direction: "asc" } }, hdr);
    expectEnvelope(badSort, 400, "BadRequestError");
    const cols = await h.call("POST", "/v1/collections/list", { filters: { AND: [{ field: "collection_name", operator: "starts_with", value: 3 }] } }, hdr);
    expect(expectEnvelope(cols, 400, "BadRequestError").error.message).toMatch(/string/);
    const exec = await h.call("POST", "/v1/retrievers/execute", {
      collection_identifiers: [collection.collection_id],
      stages: [{ stage_name: "s", config: { stage_id: "sort_attribute", parameters: { field: "start_time" } } }],
      filters: { AND: [{ field: "description", operator: "regex", value: "[z-a]" }] },
    }, hdr);
    expect(expectEnvelope(exec, 400, "BadRequestError").error.message).toMatch(/regex/);
  });

  it("malformed filters → 422 with a path", async () => {
    const res = await h.call("POST", "/v1/buckets/list", { filters: { AND: [{ field: "x", operator: "near", value: 1 }] } });
    expectEnvelope(res, 422, "ValidationError");
  });
});
