import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobName, ProcessObjectPayload, processObjectJobId } from "@scenecap/protocol";
import { harness, json, seedBucketAndCollection, type Backend, type Harness } from "../helpers.js";

export function apiSuite(backend: Backend): void {
  describe(`REST API happy paths (local queue) [${backend.name}]`, () => {
    let h: Harness;
    beforeAll(async () => { h = await harness({}, backend); });
    afterAll(async () => { await h.close(); });

    it("health answers without a key", async () => {
      const res = await h.app.inject({ method: "GET", url: "/v1/health" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: "ok", store: backend.name, queue: "local" });
    });

    it("list calls accept an empty JSON body and a trailing slash", async () => {
      const empty = await h.app.inject({ method: "POST", url: "/v1/buckets/list", headers: { authorization: `Bearer ${h.key}`, "content-type": "application/json" }, payload: "" });
      expect(empty.statusCode).toBe(200);
      expect(empty.json()).toMatchObject({ results: [], total_count: 0 });
      const slash = await h.call("POST", "/v1/namespaces/", { namespace_name: "slashed" });
      expect(slash.statusCode).toBe(200);
    });

    it("namespaces: create, get by id and name, update, list, delete", async () => {
      const created = await h.call("POST", "/v1/namespaces", { namespace_name: "media", description: "d",
        feature_extractors: [{ feature_extractor_name: "scene_description", version: "v1" }] });
      expect(created.statusCode).toBe(200);
      const ns = json(created);
      expect(ns.namespace_id).toMatch(/^ns_/);
      expect(ns.feature_extractors[0].feature_extractor_id).toBe("scene_description_v1");
      expect(json(await h.call("GET", `/v1/namespaces/${ns.namespace_id}`)).namespace_name).toBe("media");
      expect(json(await h.call("GET", "/v1/namespaces/media")).namespace_id).toBe(ns.namespace_id);
      const patched = json(await h.call("PATCH", "/v1/namespaces/media", { description: "new" }));
      expect(patched.description).toBe("new");
      const list = json(await h.call("POST", "/v1/namespaces/list", {}));
      expect(list.results.map((r: any) => r.namespace_name)).toContain("media");
      expect(list.total_count).toBe(list.results.length);
      expect(list.pagination).toMatchObject({ page: 1, total: list.total_count });
      const dup = await h.call("POST", "/v1/namespaces", { namespace_name: "media" });
      expect(dup.statusCode).toBe(409);
      expect(json(dup).error.type).toBe("AlreadyExistsError");
      expect(json(await h.call("DELETE", "/v1/namespaces/media")).success).toBe(true);
      expect((await h.call("GET", `/v1/namespaces/${ns.namespace_id}`)).statusCode).toBe(404);
    });

    it("resources created with X-Namespace live in that namespace only", async () => {
      const ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "scoped" }));
      const b = await h.call("POST", "/v1/buckets", { bucket_name: "b1", bucket_schema: { properties: { video: { type: "video" } } } }, { "x-namespace": "scoped" });
      expect(b.statusCode).toBe(200);
      expect((await h.call("GET", `/v1/buckets/${json(b).bucket_id}`, undefined, { "x-namespace": ns.namespace_id })).statusCode).toBe(200);
      // default namespace (no header) does not see it
      expect((await h.call("GET", `/v1/buckets/${json(b).bucket_id}`)).statusCode).toBe(404);
      const counted = json(await h.call("GET", "/v1/namespaces/scoped"));
      expect(counted.bucket_count).toBe(1);
    });

    it("buckets: create (schema alias), get by name, patch, list with filter, delete", async () => {
      const res = await h.call("POST", "/v1/buckets", { bucket_name: "clips", schema: { properties: { video: { type: "video" } } } });
      expect(res.statusCode).toBe(200);
      const b = json(res);
      expect(b.bucket_schema.properties.video).toEqual({ type: "video", required: false });
      expect(b.object_count).toBe(0);
      expect(json(await h.call("GET", "/v1/buckets/clips")).bucket_id).toBe(b.bucket_id);
      expect(json(await h.call("PATCH", `/v1/buckets/${b.bucket_id}`, { description: "x" })).description).toBe("x");
      const list = json(await h.call("POST", "/v1/buckets/list?limit=5", { filters: { bucket_name: "clips" } }));
      expect(list.results).toHaveLength(1);
      expect(list.pagination.page_size).toBe(5);
      expect(json(await h.call("DELETE", `/v1/buckets/${b.bucket_id}`)).success).toBe(true);
      expect((await h.call("GET", `/v1/buckets/${b.bucket_id}`)).statusCode).toBe(404);
    });

    it("objects: URL blob, root fields → metadata, get, list, delete; counts on the bucket", async () => {
      const b = json(await h.call("POST", "/v1/buckets", { bucket_name: "objs", bucket_schema: { properties: { video: { type: "video" }, title: { type: "string" } } } }));
      const o = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects`, {
        blobs: [{ property: "video", type: "video", data: "https://example.com/v/clip.mp4" }], title: "root-level", metadata: { lang: "en" },
      });
      expect(o.statusCode).toBe(200);
      const obj = json(o);
      expect(obj.metadata).toEqual({ title: "root-level", lang: "en" });
      expect(obj.blobs[0]).toMatchObject({ property: "video", type: "video", data: "https://example.com/v/clip.mp4", details: { filename: "clip.mp4", mime_type: "video/mp4" } });
      expect(obj.status).toBe("DRAFT");
      expect(json(await h.call("GET", `/v1/buckets/${b.bucket_id}/objects/${obj.object_id}`)).object_id).toBe(obj.object_id);
      expect(json(await h.call("GET", `/v1/buckets/objs`)).object_count).toBe(1);
      const list = json(await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/list`, { filters: { "metadata.title": "root-level" } }));
      expect(list.results.map((r: any) => r.object_id)).toEqual([obj.object_id]);
      const none = json(await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/list`, { filters: { "metadata.title": "other" } }));
      expect(none.results).toHaveLength(0);
      expect(json(await h.call("DELETE", `/v1/buckets/${b.bucket_id}/objects/${obj.object_id}`)).success).toBe(true);
      expect((await h.call("GET", `/v1/buckets/${b.bucket_id}/objects/${obj.object_id}`)).statusCode).toBe(404);
    });

    it("objects/batch: each object succeeds or fails on its own; all failing is an error; at most 100", async () => {
      const b = json(await h.call("POST", "/v1/buckets", { bucket_name: "bulk", bucket_schema: { properties: { video: { type: "video", required: true } } } }));
      const video = (n: number) => ({ blobs: [{ property: "video", type: "video", data: `https://example.com/${n}.mp4` }], metadata: { n } });
      const res = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/batch`, {
        objects: [video(1), { blobs: [...video(9).blobs, { property: "nope", type: "video", data: "https://example.com/x.mp4" }] }, video(2), { metadata: { n: 4 } }, "not an object"],
      });
      expect(res.statusCode).toBe(200);
      const out = json(res);
      expect(out).toMatchObject({ total: 5, succeeded_count: 2, failed_count: 3 });
      expect(out.succeeded.map((o: any) => o.metadata.n)).toEqual([1, 2]);
      expect(out.succeeded[0]).toMatchObject({ bucket_id: b.bucket_id, status: "DRAFT" });
      expect(out.failed.map((f: any) => f.index)).toEqual([1, 3, 4]);
      expect(out.failed[0].error).toMatchObject({ status: 422, type: "ValidationError" });
      expect(out.failed[0].error.message).toMatch(/"nope" is not a field/);
      expect(out.failed[1].error.message).toMatch(/required by the bucket schema/);
      expect(json(await h.call("GET", `/v1/buckets/${b.bucket_id}`)).object_count).toBe(2);

      const none = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/batch`, { objects: [{ metadata: {} }] });
      expect(none.statusCode).toBe(422);
      expect(json(none).error.message).toMatch(/^No object was created; objects\[0\]/);
      expect(json(none).error.details.failed).toHaveLength(1);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/batch`, { objects: [] })).statusCode).toBe(422);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects/batch`, { objects: Array.from({ length: 101 }, (_, i) => video(i)) })).statusCode).toBe(422);
      expect((await h.call("POST", "/v1/buckets/bkt_missing/objects/batch", { objects: [video(1)] })).statusCode).toBe(404);
    });

    it("objects: unique_key with ?policy insert → 409, update → same object, upsert", async () => {
      const b = json(await h.call("POST", "/v1/buckets", {
        bucket_name: "uk", bucket_schema: { properties: { video: { type: "video" }, ext_id: { type: "string" } } }, unique_key: { fields: ["ext_id"] },
      }));
      const body = { blobs: [{ property: "video", type: "video", data: "https://example.com/1.mp4" }], metadata: { ext_id: "A" } };
      const first = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects?policy=insert`, body);
      expect(first.statusCode).toBe(200);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects?policy=insert`, body)).statusCode).toBe(409);
      const upd = await h.call("POST", `/v1/buckets/${b.bucket_id}/objects?policy=update`, { ...body, metadata: { ext_id: "A", n: 2 } });
      expect(upd.statusCode).toBe(200);
      expect(json(upd).object_id).toBe(json(first).object_id);
      expect(json(upd).metadata.n).toBe(2);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects?policy=update`, { ...body, metadata: { ext_id: "B" } })).statusCode).toBe(404);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects`, body)).statusCode).toBe(400);
      expect((await h.call("POST", `/v1/buckets/${b.bucket_id}/objects?policy=upsert`, { ...body, metadata: { ext_id: "C" } })).statusCode).toBe(200);
      expect(json(await h.call("GET", `/v1/buckets/${b.bucket_id}`)).object_count).toBe(2);
    });

    it("batches: create, submit → PENDING task + one job per (collection, object), resubmit is idempotent, get, list", async () => {
      const ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "batching" }));
      const hdr = { "x-namespace": ns.namespace_id };
      const { bucket, collection } = await seedBucketAndCollection(h, hdr);
      const second = json(await h.call("POST", "/v1/collections", {
        collection_name: "scenes-2", source: { type: "bucket", bucket_id: bucket.bucket_id },
        feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b" } }],
      }, hdr));
      expect(second.collection_id).toMatch(/^col_/);
      const objs = [];
      for (const n of [1, 2]) {
        objs.push(json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: `https://example.com/${n}.mp4` }] }, hdr)).object_id);
      }
      const batch = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches`, { object_ids: objs, batch_name: "b" }, hdr));
      expect(batch).toMatchObject({ status: "DRAFT", object_ids: objs, type: "BUCKET" });
      const sub = await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}/submit`, {}, hdr);
      expect(sub.statusCode).toBe(200);
      const task = json(sub);
      expect(task.task_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(task).toMatchObject({ status: "PENDING", task_type: "api_buckets_batches_submit", inputs: [batch.batch_id] });
      expect(task.additional_data).toMatchObject({
        batch_id: batch.batch_id, bucket_id: bucket.bucket_id, namespace_id: ns.namespace_id, object_count: 2, jobs_total: 4, jobs: {}, progress: 0,
      });
      expect(new Set(task.additional_data.collection_ids)).toEqual(new Set([collection.collection_id, second.collection_id]));

      // the jobs landed in the durable local queue with the catalogue's payload and ids
      const jobs = [];
      for (let job = await h.store.jobs.claim(60_000); job; job = await h.store.jobs.claim(60_000)) jobs.push(job);
      const mine = jobs.filter((j) => (j.payload as any).task_id === task.task_id);
      expect(mine).toHaveLength(4);
      for (const j of mine) {
        expect(j.name).toBe(JobName.ProcessObject);
        const p = ProcessObjectPayload.parse(j.payload);
        expect(j.id).toBe(processObjectJobId(p));
        expect(p).toMatchObject({ namespace_id: ns.namespace_id, batch_id: batch.batch_id, bucket_id: bucket.bucket_id });
        expect(p.extractor.feature_extractor_name).toBe("scene_description");
      }
      const c1 = mine.find((j) => (j.payload as any).collection_id === collection.collection_id)!;
      expect((c1.payload as any).extractor.parameters.time_split_interval).toBe(5);

      const again = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}/submit`, undefined, hdr));
      expect(again.task_id).toBe(task.task_id);
      const got = json(await h.call("GET", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}`, undefined, hdr));
      expect(got).toMatchObject({ status: "IN_PROGRESS", task_id: task.task_id });
      const obj = json(await h.call("GET", `/v1/buckets/${bucket.bucket_id}/objects/${objs[0]}`, undefined, hdr));
      expect(obj).toMatchObject({ status: "PENDING", task_id: task.task_id, batch_id: batch.batch_id });
      const list = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches/list`, {}, hdr));
      expect(list.results.map((r: any) => r.batch_id)).toEqual([batch.batch_id]);
    });

    it("objects ?auto_process=true create and submit a batch", async () => {
      const ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "auto" }));
      const hdr = { "x-namespace": "auto" };
      const { bucket } = await seedBucketAndCollection(h, hdr);
      const o = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/objects?auto_process=true`, { blobs: [{ property: "video", type: "video", data: "https://example.com/x.mp4" }] }, hdr));
      expect(o.task_id).toBeTruthy();
      expect(o.status).toBe("PENDING");
      const task = json(await h.call("GET", `/v1/tasks/${o.task_id}`, undefined, hdr));
      expect(task.additional_data).toMatchObject({ namespace_id: ns.namespace_id, object_count: 1, jobs_total: 1 });
    });

    it("tasks: GET reflects status/progress the worker writes; list by status; DELETE cancels", async () => {
      const ns = json(await h.call("POST", "/v1/namespaces", { namespace_name: "tasks" }));
      const hdr = { "x-namespace": "tasks" };
      const { bucket, collection } = await seedBucketAndCollection(h, hdr);
      const o = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: "https://example.com/x.mp4" }] }, hdr));
      const batch = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches`, { object_ids: [o.object_id] }, hdr));
      const task = json(await h.call("POST", `/v1/buckets/${bucket.bucket_id}/batches/${batch.batch_id}/submit`, undefined, hdr));
      // what the worker does: atomic update of the task record
      const jobKey = `${collection.collection_id}:${o.object_id}`;
      await h.store.resources.update("task", ns.namespace_id, task.task_id, (cur) => {
        const ad = cur.data.additional_data as Record<string, unknown>;
        return { data: { ...cur.data, status: "PROCESSING", additional_data: { ...ad, jobs: { [jobKey]: { status: "PROCESSING", segments_done: 3, segments_total: 4 } }, segments_done: 3, segments_total: 4, progress: 75 } } };
      });
      const polled = json(await h.call("GET", `/v1/tasks/${task.task_id}`, undefined, hdr));
      expect(polled.status).toBe("PROCESSING");
      expect(polled.additional_data).toMatchObject({ progress: 75, segments_done: 3, segments_total: 4 });
      expect(polled.additional_data.jobs[jobKey].status).toBe("PROCESSING");

      const processing = json(await h.call("POST", "/v1/tasks/list", { status: "PROCESSING" }, hdr));
      expect(processing.results.map((t: any) => t.task_id)).toEqual([task.task_id]);
      expect(json(await h.call("POST", "/v1/tasks/list", { status: "COMPLETED" }, hdr)).results).toHaveLength(0);

      expect(json(await h.call("DELETE", `/v1/tasks/${task.task_id}`, undefined, hdr)).success).toBe(true);
      expect(json(await h.call("GET", `/v1/tasks/${task.task_id}`, undefined, hdr)).status).toBe("CANCELED");
      expect((await h.call("DELETE", `/v1/tasks/${task.task_id}`, undefined, hdr)).statusCode).toBe(200); // idempotent
    });

    it("collections: get by name, patch, features, list, trigger (202), delete", async () => {
      await h.call("POST", "/v1/namespaces", { namespace_name: "cols" });
      const hdr = { "x-namespace": "cols" };
      const { bucket, collection } = await seedBucketAndCollection(h, hdr);
      expect(collection.feature_extractor).toMatchObject({ feature_extractor_id: "scene_description_v1", parameters: { model_id: "Salesforce/blip2-opt-2.7b", time_split_interval: 5, frames_per_segment: 1 } });
      expect(collection.vector_indexes[0].feature_uri).toBe("mixpeek://scene_description@v1/salesforce_blip2_v1");
      expect(collection.output_schema.properties.description).toBeTruthy();
      expect(json(await h.call("GET", "/v1/collections/scenes", undefined, hdr)).collection_id).toBe(collection.collection_id);
      expect(json(await h.call("PATCH", "/v1/collections/scenes", { description: "patched" }, hdr)).description).toBe("patched");
      const features = json(await h.call("GET", `/v1/collections/${collection.collection_id}/features`, undefined, hdr));
      expect(features.features[0]).toMatchObject({ feature_address: "mixpeek://scene_description@v1/salesforce_blip2_v1", primary: true });
      expect(json(await h.call("POST", "/v1/collections/list", {}, hdr)).total_count).toBe(1);

      expect((await h.call("POST", `/v1/collections/${collection.collection_id}/trigger`, {}, hdr)).statusCode).toBe(400); // nothing to process
      for (const n of [1, 2, 3]) {
        await h.call("POST", `/v1/buckets/${bucket.bucket_id}/objects`, { blobs: [{ property: "video", type: "video", data: `https://example.com/${n}.mp4` }] }, hdr);
      }
      const trig = await h.call("POST", `/v1/collections/${collection.collection_id}/trigger`, undefined, hdr);
      expect(trig.statusCode).toBe(202);
      expect(json(trig)).toMatchObject({ collection_id: collection.collection_id, object_count: 3, total_tiers: 1, source_bucket_ids: [bucket.bucket_id] });
      const task = json(await h.call("GET", `/v1/tasks/${json(trig).task_id}`, undefined, hdr));
      expect(task.additional_data).toMatchObject({ jobs_total: 3, collection_ids: [collection.collection_id] });

      // a bucket feeding a collection is not deleted under it; a disabled collection is not triggered
      const blocked = await h.call("DELETE", `/v1/buckets/${bucket.bucket_id}`, undefined, hdr);
      expect(blocked.statusCode).toBe(409);
      expect(json(blocked).error.details.collection_ids).toEqual([collection.collection_id]);
      await h.call("PATCH", `/v1/collections/${collection.collection_id}`, { enabled: false }, hdr);
      expect((await h.call("POST", `/v1/collections/${collection.collection_id}/trigger`, undefined, hdr)).statusCode).toBe(400);

      expect(json(await h.call("DELETE", `/v1/collections/${collection.collection_id}`, undefined, hdr)).success).toBe(true);
      expect(json(await h.call("DELETE", `/v1/buckets/${bucket.bucket_id}`, undefined, hdr)).success).toBe(true);
      expect((await h.call("GET", `/v1/collections/${collection.collection_id}`, undefined, hdr)).statusCode).toBe(404);
    });

    it("collections keep field_passthrough (string and object forms) and explicit input_mappings; bad mappings → 422", async () => {
      await h.call("POST", "/v1/namespaces", { namespace_name: "passthrough" });
      const hdr = { "x-namespace": "passthrough" };
      const b = json(await h.call("POST", "/v1/buckets", { bucket_name: "m", bucket_schema: { properties: { clip: { type: "video" }, title: { type: "string" } } } }, hdr));
      const c = json(await h.call("POST", "/v1/collections", {
        collection_name: "pt", source: { bucket_id: b.bucket_id },
        feature_extractor: { feature_extractor_name: "scene_description", input_mappings: { video: "clip" },
          field_passthrough: ["title", { source_path: "metadata.lang", target_path: "language", default: "en" }] },
      }, hdr));
      expect(c.feature_extractor.input_mappings).toEqual({ video: "clip" });
      expect(c.feature_extractor.field_passthrough).toEqual([{ source_path: "title" }, { source_path: "metadata.lang", target_path: "language", default: "en" }]);
      expect(c.output_schema.properties.language).toBeTruthy();
      const bad = await h.call("POST", "/v1/collections", {
        collection_name: "pt2", source: { bucket_id: b.bucket_id }, feature_extractor: { feature_extractor_name: "scene_description", input_mappings: { video: "nope" } },
      }, hdr);
      expect(bad.statusCode).toBe(422);
      expect(json(bad).error.details.validation_errors[0].path).toBe("feature_extractor.input_mappings.video");
    });

    it("documents: create, get, list (filters, search), delete; document_count", async () => {
      await h.call("POST", "/v1/namespaces", { namespace_name: "docs" });
      const hdr = { "x-namespace": "docs" };
      const { collection } = await seedBucketAndCollection(h, hdr);
      const base = `/v1/collections/${collection.collection_id}/documents`;
      const d1 = await h.call("POST", base, { document_id: "doc_a", start_time: 0, end_time: 5, description: "a dog runs on the beach" }, hdr);
      expect(d1.statusCode).toBe(200);
      expect(json(d1)).toMatchObject({ document_id: "doc_a", collection_id: collection.collection_id, description: "a dog runs on the beach" });
      await h.call("POST", base, { start_time: 5, end_time: 10, description: "a cat sleeps on a sofa" }, hdr);
      expect((await h.call("POST", base, { document_id: "doc_a", description: "dup" }, hdr)).statusCode).toBe(409);
      expect(json(await h.call("GET", `${base}/doc_a`, undefined, hdr)).end_time).toBe(5);
      const all = json(await h.call("POST", `${base}/list`, {}, hdr));
      expect(all.results).toHaveLength(2);
      const filtered = json(await h.call("POST", `${base}/list`, { filters: { AND: [{ field: "start_time", operator: "gte", value: 5 }] } }, hdr));
      expect(filtered.results.map((d: any) => d.description)).toEqual(["a cat sleeps on a sofa"]);
      const searched = json(await h.call("POST", `${base}/list`, { search: "dog" }, hdr));
      expect(searched.results.map((d: any) => d.document_id)).toEqual(["doc_a"]);
      expect(json(await h.call("GET", `/v1/collections/${collection.collection_id}`, undefined, hdr)).document_count).toBe(2);
      expect(json(await h.call("DELETE", `${base}/doc_a`, undefined, hdr)).success).toBe(true);
      expect((await h.call("GET", `${base}/doc_a`, undefined, hdr)).statusCode).toBe(404);
    });

    it("feature extractor registry publishes scene_description v1 with its parameter schema", async () => {
      const list = await h.app.inject({ method: "GET", url: "/v1/collections/features/extractors" });
      expect(list.statusCode).toBe(200);
      const [fe] = list.json();
      expect(fe).toMatchObject({ feature_extractor_name: "scene_description", version: "v1", feature_extractor_id: "scene_description_v1" });
      expect(fe.required_vector_indexes[0].feature_uri).toBe("mixpeek://scene_description@v1/salesforce_blip2_v1");
      expect(fe.parameter_schema.properties.model_id.default).toBe("Salesforce/blip2-opt-2.7b");
      expect(fe.parameter_schema.properties.split_method.enum).toEqual(["time", "scene"]);
      expect(fe.default_parameters).toMatchObject({ time_split_interval: 10, frames_per_segment: 1 });
      expect((await h.app.inject({ method: "GET", url: "/v1/collections/features/extractors/scene_description_v1" })).statusCode).toBe(200);
      expect((await h.app.inject({ method: "GET", url: "/v1/collections/features/extractors/nope_v9" })).statusCode).toBe(404);
    });
  });
}
