/**
 * Full-text search over the scene captions of a collection with an ad-hoc retriever.
 *
 *   SCENECAP_API_KEY=<key> npx tsx examples/search.ts "a dog on the beach" [collection]
 *
 * The collection defaults to `my-collection` (the one examples/ingest-video.ts fills).
 */
import { Mixpeek } from "mixpeek";

const query = process.argv[2] ?? usage();
const collection = process.argv[3] ?? "my-collection";
const apiKey = process.env.SCENECAP_API_KEY || usage();

async function main(): Promise<void> {
  const mx = new Mixpeek({ apiKey, baseUrl: process.env.SCENECAP_BASE_URL ?? "http://localhost:8080" });

  // The feature URI to search: the collection's own (vector_indexes[0].feature_uri), else scene_description's.
  const info = await mx.collections.get(collection);
  const featureUri = info.vector_indexes?.[0]?.feature_uri ?? "mixpeek://scene_description@v1/salesforce_blip2_v1";

  const res = await mx.retrievers.executeAdhoc({
    collection_identifiers: [collection],
    input_schema: { query: { type: "text", required: true } },
    inputs: { query },
    stages: [
      {
        stage_name: "captions",
        stage_type: "filter",
        config: {
          stage_id: "feature_search",
          parameters: {
            searches: [{ feature_uri: featureUri, query: { input_mode: "text", value: "{{INPUT.query}}" }, top_k: 50 }],
            final_top_k: 10,
          },
        },
      },
    ],
  });

  if (res.documents.length === 0) console.log(`no scene of ${collection} matches "${query}"`);
  for (const doc of res.documents) {
    const isImage = doc.start_time === undefined || doc._internal?.["modality"] === "image";
    const range = isImage ? "image" : `${clock(doc.start_time)}–${clock(doc.end_time)}`;
    console.log(`${(doc.score ?? 0).toFixed(3)}  ${range}  ${doc.description ?? ""}`);
    if (typeof doc.highlight === "string") console.log(`       ${doc.highlight}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});

function clock(seconds: number | undefined): string {
  const s = Math.max(0, seconds ?? 0);
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

function usage(): never {
  console.error('usage: SCENECAP_API_KEY=<key> npx tsx examples/search.ts "<text>" [collection]');
  process.exit(2);
}
