import { describe, expect, it } from "vitest";
import { applyJobEntry } from "../src/pipeline/task-state.js";
import { buildHandlerMap, handlerRegistrations } from "../src/jobs/catalogue.js";
import { chooseCaption, documentId, passthroughFields } from "../src/pipeline/documents.js";
import { JobName, QueueName } from "@scenecap/protocol";

const task = (jobsTotal: number) => ({
  task_id: "t",
  status: "PENDING",
  error: null,
  additional_data: { batch_id: "b", jobs_total: jobsTotal, jobs: {}, segments_done: 0, segments_total: 0, progress: 0 },
});
type Data = ReturnType<typeof applyJobEntry>;
const add = (d: Data) => d.additional_data as { jobs: Record<string, unknown>; segments_done: number; segments_total: number; progress: number };

describe("task state", () => {
  it("is PROCESSING until every job has a terminal entry, then COMPLETED", () => {
    let d: Data = applyJobEntry(task(2), "c:o1", { status: "PROCESSING", segments_done: 1, segments_total: 4 });
    expect(d.status).toBe("PROCESSING");
    expect(add(d).progress).toBe(12.5);
    d = applyJobEntry(d, "c:o1", { status: "COMPLETED", segments_done: 4, segments_total: 4, documents_written: 4 });
    d = applyJobEntry(d, "c:o2", { status: "PROCESSING", segments_done: 1, segments_total: 2 });
    expect(d.status).toBe("PROCESSING");
    expect(add(d).segments_done).toBe(5);
    expect(add(d).segments_total).toBe(6);
    d = applyJobEntry(d, "c:o2", { status: "COMPLETED", segments_done: 2, segments_total: 2 });
    expect(d.status).toBe("COMPLETED");
    expect(d.error).toBeNull();
    expect(add(d).progress).toBe(100);
  });

  it("is FAILED with the first reason when all jobs fail, COMPLETED_WITH_ERRORS when some do", () => {
    let d: Data = applyJobEntry(task(2), "c:o1", { status: "FAILED", segments_done: 0, segments_total: 0, error: "corrupt" });
    d = applyJobEntry(d, "c:o2", { status: "FAILED", segments_done: 0, segments_total: 0, error: "404" });
    expect(d.status).toBe("FAILED");
    expect(d.error).toBe("corrupt");
    let m: Data = applyJobEntry(task(2), "c:o1", { status: "FAILED", segments_done: 0, segments_total: 0, error: "corrupt" });
    m = applyJobEntry(m, "c:o2", { status: "COMPLETED", segments_done: 3, segments_total: 3 });
    expect(m.status).toBe("COMPLETED_WITH_ERRORS");
    expect(m.error).toBe("c:o1: corrupt");
  });

  it("a retry rewrites its own entry instead of adding one", () => {
    let d: Data = applyJobEntry(task(1), "c:o1", { status: "PROCESSING", segments_done: 2, segments_total: 4 });
    d = applyJobEntry(d, "c:o1", { status: "PROCESSING", segments_done: 0, segments_total: 0 });
    expect(Object.keys(add(d).jobs)).toEqual(["c:o1"]);
    expect(add(d).segments_done).toBe(0);
  });
});

describe("job catalogue", () => {
  it("maps every JobName to exactly one handler on its queue", () => {
    const map = buildHandlerMap();
    expect([...map.keys()].sort()).toEqual(Object.values(JobName).sort());
    expect(map.get(JobName.ProcessObject)?.queue).toBe(QueueName.Extraction);
  });

  it("refuses a duplicate, a missing and an unknown handler", () => {
    const reg = handlerRegistrations[0]!;
    expect(() => buildHandlerMap([reg, reg])).toThrow(/more than one handler/);
    expect(() => buildHandlerMap([])).toThrow(/no handler for job\(s\): ProcessObject/);
    expect(() => buildHandlerMap([reg, { ...reg, name: "Nope" as never }])).toThrow(/unknown job Nope/);
  });
});

describe("documents", () => {
  it("ids are deterministic per (collection, object, extractor, segment)", () => {
    const base = { collectionId: "col_1", objectId: "obj_1", extractorName: "scene_description", extractorVersion: "v1", segmentIndex: 0 };
    expect(documentId(base)).toBe(documentId({ ...base }));
    expect(documentId(base)).toMatch(/^doc_[0-9a-f]{32}$/);
    const others = [{ collectionId: "col_2" }, { objectId: "obj_2" }, { extractorVersion: "v2" }, { segmentIndex: 1 }].map((o) => documentId({ ...base, ...o }));
    expect(new Set([documentId(base), ...others]).size).toBe(5);
  });

  it("picks the caption that agrees most with the others, ties to the middle frame", () => {
    expect(chooseCaption(["a dog on grass", "a red car", "a dog on the grass"])).toBe(0);
    expect(chooseCaption(["x", "y", "z"])).toBe(1);
    expect(chooseCaption(["only"])).toBe(0);
  });

  it("passes object metadata and field_passthrough entries through", () => {
    const obj = { metadata: { title: "T", tags: ["a"] }, key_prefix: "/v" };
    expect(passthroughFields(obj, { includeAll: true, fields: [] })).toEqual({ title: "T", tags: ["a"] });
    expect(passthroughFields(obj, { includeAll: false, fields: [{ source_path: "metadata.title" }, { source_path: "key_prefix", target_path: "meta.prefix" }, { source_path: "nope", default: 1 }] }))
      .toEqual({ title: "T", meta: { prefix: "/v" }, nope: 1 });
  });
});
