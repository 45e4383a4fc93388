import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AdhocExecuteRequest, CreateBucketRequest, CreateCollectionRequest, CreateObjectRequest, CreateRetrieverRequest, ErrorEnvelope,
  QueryInput, SceneDescriptionParams, StageConfigInput, buildPagination, decodeCursor, encodeCursor, errorEnvelope, parseFeatureUri,
  resolvePageWindow, validationIssues, ListRequest, SCENE_DESCRIPTION,
} from "@scenecap/protocol";

describe("lenient inputs parse to one canonical shape", () => {
  it("collection: feature_extractors[0] ⇄ feature_extractor, name/params ⇄ feature_extractor_name/parameters, bucket_id ⇄ bucket_ids", () => {
    const a = CreateCollectionRequest.parse({
      collection_name: "c", source: { type: "bucket", bucket_ids: ["bkt_1"] },
      feature_extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: { model_id: "m" } },
    });
    const b = CreateCollectionRequest.parse({
      collection_name: "c", source: { bucket_id: "bkt_1" },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: "m" } }],
    });
    expect(b).toEqual(a);
    expect(a.feature_extractor).toMatchObject({ feature_extractor_name: "scene_description", parameters: { model_id: "m" } });
    expect(a.source.bucket_ids).toEqual(["bkt_1"]);
  });
  it("collection: more than one extractor, or none, is an error at a path", () => {
    const two = CreateCollectionRequest.safeParse({ collection_name: "c", source: { bucket_id: "b" }, feature_extractors: [{ name: "x" }, { name: "y" }] });
    expect(two.success).toBe(false);
    expect(validationIssues(two.error!)[0]!.path).toBe("feature_extractors");
    const none = CreateCollectionRequest.safeParse({ collection_name: "c", source: { bucket_id: "b" } });
    expect(validationIssues(none.error!)[0]!.path).toBe("feature_extractor");
  });
  it("bucket: schema ⇄ bucket_schema", () => {
    const s = { properties: { video: { type: "video" } } };
    expect(CreateBucketRequest.parse({ bucket_name: "b", schema: s })).toEqual(CreateBucketRequest.parse({ bucket_name: "b", bucket_schema: s }));
    expect(CreateBucketRequest.safeParse({ bucket_name: "b" }).success).toBe(false);
  });
  it("object: root fields ⇄ metadata", () => {
    const a = CreateObjectRequest.parse({ metadata: { title: "x" }, blobs: [] });
    const b = CreateObjectRequest.parse({ title: "x" });
    expect(b).toEqual(a);
    expect(CreateObjectRequest.safeParse({ blobs: [{ property: "v", type: "video" }] }).success).toBe(false); // neither data nor upload_id
  });
  it("retriever: flat ⇄ nested stages, string ⇄ object query, collection_ids ⇄ collection_identifiers, input_schema forms", () => {
    const nested = CreateRetrieverRequest.parse({
      retriever_name: "r", collection_identifiers: ["c"], input_schema: { query: { type: "text" } },
      stages: [{ stage_name: "feature_search", stage_type: "filter", config: { stage_id: "feature_search", parameters: { searches: [{ feature_uri: SCENE_DESCRIPTION.featureUri, query: "{{INPUT.query}}" }] } } }],
    });
    const flat = CreateRetrieverRequest.parse({
      retriever_name: "r", collection_ids: ["c"], input_schema: { properties: { query: { type: "text" } } },
      stages: [{ stage_type: "filter", stage_id: "feature_search", parameters: { searches: [{ feature_uri: SCENE_DESCRIPTION.featureUri, query: "{{INPUT.query}}" }] } }],
    });
    expect(flat).toEqual(nested);
    expect(QueryInput.parse("x")).toEqual(QueryInput.parse({ input_mode: "text", text: "x" }));
    expect(QueryInput.parse({ value: "y" })).toEqual({ input_mode: "text", value: "y" });
  });
  it("stage parameters are validated per stage id with paths", () => {
    const r = StageConfigInput.safeParse({ config: { stage_id: "sort_attribute", parameters: { direction: "up" } } });
    expect(r.success).toBe(false);
    expect(validationIssues(r.error!).map((i) => i.path)).toEqual(expect.arrayContaining(["config.parameters.field", "config.parameters.direction"]));
    expect(StageConfigInput.safeParse({ stage_id: "nope" }).success).toBe(false);
  });
  it("ad-hoc execute defaults", () => {
    const r = AdhocExecuteRequest.parse({ stages: [{ stage_id: "sort_relevance" }] });
    expect(r).toMatchObject({ inputs: {}, stream: false, collection_identifiers: [], input_schema: {} });
  });
});

describe("scene_description parameters", () => {
  it("defaults", () => {
    expect(SceneDescriptionParams.parse({})).toEqual({
      model_id: "Salesforce/blip2-opt-2.7b", max_new_tokens: 20, min_new_tokens: 0, num_beams: 1, split_method: "time",
      time_split_interval: 10, scene_detection_threshold: null, max_segment_duration: 30, frames_per_segment: 1,
    });
  });
  it("rejects bad values", () => {
    expect(SceneDescriptionParams.safeParse({ split_method: "silence" }).success).toBe(false);
    expect(SceneDescriptionParams.safeParse({ time_split_interval: 0 }).success).toBe(false);
    expect(SceneDescriptionParams.safeParse({ min_new_tokens: 30, max_new_tokens: 10 }).success).toBe(false);
    expect(SceneDescriptionParams.safeParse({ scene_detection_threshold: 1.5 }).success).toBe(false);
  });
  it("feature URIs", () => {
    expect(parseFeatureUri(SCENE_DESCRIPTION.featureUri)).toEqual({ extractor: "scene_description", version: "v1", output: "salesforce_blip2_v1" });
    expect(parseFeatureUri("mixpeek://x@v2")).toEqual({ extractor: "x", version: "v2", output: null });
    expect(parseFeatureUri("http://x")).toBeNull();
  });
  it("parameter schema converts to JSON Schema", () => {
    const js = z.toJSONSchema(SceneDescriptionParams, { io: "input" }) as { properties: Record<string, { default?: unknown }> };
    expect(js.properties.time_split_interval!.default).toBe(10);
  });
});

describe("pagination and errors", () => {
  it("query string wins over body; cursors round-trip", () => {
    expect(resolvePageWindow({ limit: 5 }, ListRequest.parse({ page_size: 50, offset: 7 }))).toEqual({ limit: 5, offset: 7 });
    expect(resolvePageWindow({ cursor: encodeCursor(40) }, undefined)).toEqual({ limit: 10, offset: 40 });
    expect(decodeCursor("garbage!")).toBeNull();
  });
  it("PaginationResponse", () => {
    expect(buildPagination({ limit: 10, offset: 10 }, 25)).toMatchObject({ total: 25, page: 2, page_size: 10, total_pages: 3, next_page: "3", previous_page: "1" });
    expect(buildPagination({ limit: 10, offset: 20 }, 25).next_cursor).toBeNull();
  });
  it("error envelope", () => {
    const e = errorEnvelope("not_found", "nope");
    expect(ErrorEnvelope.parse(e)).toEqual({ success: false, status: 404, error: { message: "nope", type: "NotFoundError" } });
  });
});
