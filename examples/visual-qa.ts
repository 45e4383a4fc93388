/**
 * Ask a question about every scene of a video: BLIP-2 answers it per segment (`params.prompt`).
 *
 *   SCENECAP_API_KEY=<key> npx tsx examples/visual-qa.ts https://example.com/video.mp4 "How many people are there?"
 *
 * A collection's extractor parameters are fixed, so each question gets its own collection (`visual-qa-<hash>`).
 */
import { createHash } from "node:crypto";
import { Mixpeek } from "mixpeek";

const videoUrl = process.argv[2] ?? usage();
const question = process.argv[3] ?? usage();
const apiKey = process.env.SCENECAP_API_KEY || usage();

async function main(): Promise<void> {
  const mx = new Mixpeek({ apiKey, baseUrl: process.env.SCENECAP_BASE_URL ?? "http://localhost:8080" });
  const collection = `visual-qa-${createHash("sha256").update(question).digest("hex").slice(0, 10)}`;

  const ingested = await mx.collections.ingest({
    collection_id: collection,
    source: { url: videoUrl },
    feature_extractors: [
      { name: "scene_description", version: "v1", params: { model_id: "Salesforce/blip2-opt-2.7b", prompt: question } },
    ],
  });
  console.log(`Q: ${question}  (task ${ingested.task_id}, collection ${collection})`);

  const task = await mx.tasks.wait(ingested.task_id, {
    onProgress: (t) => console.log(`  ${t.status}`),
  });
  if (task.status !== "COMPLETED") {
    console.error(`task ended ${task.status}: ${task.error ?? ""}`);
    process.exit(1);
  }

  const answers = [];
  for await (const doc of mx.collections.documents.list(ingested.collection_id, { limit: 100 })) {
    const lineage = (doc._internal?.["lineage"] ?? {}) as { root_object_id?: string };
    if (lineage.root_object_id !== undefined && lineage.root_object_id !== ingested.object_id) continue;
    answers.push(doc);
  }
  answers.sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0));
  for (const doc of answers) {
    console.log(`${(doc.start_time ?? 0).toFixed(1)}s–${(doc.end_time ?? 0).toFixed(1)}s  A: ${doc.description ?? ""}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});

function usage(): never {
  console.error('usage: SCENECAP_API_KEY=<key> npx tsx examples/visual-qa.ts <video-url> "<question>"');
  process.exit(2);
}
