/**
 * Ingest one video into a collection, wait for it, and print one line per scene.
 *
 *   SCENECAP_API_KEY=<key> npx tsx examples/ingest-video.ts https://example.com/video.mp4
 *
 * SCENECAP_BASE_URL defaults to http://localhost:8080 (what `scenecap dev` serves).
 */
import { Mixpeek } from "mixpeek";
import type { Document, Task } from "mixpeek";

const videoUrl = process.argv[2] ?? usage();
const apiKey = process.env.SCENECAP_API_KEY || usage();

async function main(): Promise<void> {
  const mx = new Mixpeek({ apiKey, baseUrl: process.env.SCENECAP_BASE_URL ?? "http://localhost:8080" });
  const ingested = await mx.collections.ingest({
    collection_id: "my-collection",
    source: { url: videoUrl },
    feature_extractors: [{ name: "scene_description", version: "v1",
                           params: { model_id: "Salesforce/blip2-opt-2.7b" } }]
  });
  console.log(`task ${ingested.task_id}: object ${ingested.object_id} → collection ${ingested.collection_id}`);

  const task = await mx.tasks.wait(ingested.task_id, { onProgress: printProgress });
  if (task.status !== "COMPLETED") {
    console.error(`task ended ${task.status}: ${task.error ?? JSON.stringify(task.additional_data ?? {})}`);
    process.exit(1);
  }

  // Documents of this video only (the collection also holds earlier ingests).
  for await (const doc of mx.collections.documents.list(ingested.collection_id, { limit: 100 })) {
    const root = rootObjectId(doc);
    if (root !== undefined && root !== ingested.object_id) continue;
    console.log(`${clock(doc.start_time)}–${clock(doc.end_time)}  ${doc.description ?? ""}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});

function printProgress(t: Task): void {
  const data = t.additional_data ?? {};
  const done = Number(data["segments_done"] ?? 0);
  const total = Number(data["segments_total"] ?? 0);
  console.log(`  ${t.status}${total > 0 ? ` ${done}/${total} segments` : ""}`);
}

function rootObjectId(doc: Document): unknown {
  const lineage = (doc._internal?.["lineage"] ?? {}) as { root_object_id?: string; source_object_id?: string };
  return lineage.root_object_id ?? lineage.source_object_id;
}

function clock(seconds: number | undefined): string {
  const s = Math.max(0, seconds ?? 0);
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

function usage(): never {
  console.error("usage: SCENECAP_API_KEY=<key> npx tsx examples/ingest-video.ts <video-url>");
  console.error("(`scenecap dev` prints the key; SCENECAP_BASE_URL defaults to http://localhost:8080)");
  process.exit(2);
}
