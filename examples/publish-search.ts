/**
 * Publishes a search over a collection's scene captions, then queries it the way a web page would: by its
 * public name, without the account key, with the results streamed as server-sent events.
 *
 *   SCENECAP_API_KEY=<key> npx tsx examples/publish-search.ts "a dog on the beach" [collection]
 *
 * The stored retriever is `<collection>-search` and its public name `<collection>-search`; both are created on
 * the first run and reused after. Only `description`, `start_time`, `end_time` and `thumbnail_url` are exposed.
 */
import { Mixpeek, NotFoundError } from "mixpeek";

const query = process.argv[2] ?? usage();
const collection = process.argv[3] ?? "my-collection";
const apiKey = process.env.SCENECAP_API_KEY || usage();

async function main(): Promise<void> {
  const mx = new Mixpeek({ apiKey, baseUrl: process.env.SCENECAP_BASE_URL ?? "http://localhost:8080" });
  const name = `${collection}-search`;

  // 1. A stored retriever with one full-text stage over the captions (created once).
  const retrieverId = await mx.retrievers.get(name).then(
    (r) => r.retriever_id,
    async (err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
      const info = await mx.collections.get(collection);
      const featureUri = info.vector_indexes?.[0]?.feature_uri ?? "mixpeek://scene_description@v1/salesforce_blip2_v1";
      const created = await mx.retrievers.create({
        retriever_name: name,
        collection_identifiers: [collection],
        input_schema: { query: { type: "text", required: true } },
        stages: [
          {
            stage_name: "captions",
            stage_type: "filter",
            config: {
              stage_id: "feature_search",
              parameters: { searches: [{ feature_uri: featureUri, query: { input_mode: "text", value: "{{INPUT.query}}" } }], final_top_k: 10 },
            },
          },
        ],
      });
      return created.retriever_id ?? created.retriever?.retriever_id ?? "";
    },
  );

  // 2. Its publication (created once): a public name, the fields the public sees, a rate limit.
  const publication = await mx.retrievers.getPublished(retrieverId).catch(async (err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
    return mx.retrievers.publish(retrieverId, {
      public_name: name,
      display_config: { exposed_fields: ["description", "start_time", "end_time", "thumbnail_url"] },
      rate_limit_config: { requests_per_minute: 60 },
    });
  });
  console.log(`public search: POST ${publication.public_url ?? publication.public_name}`);

  // 3. What a browser does: no account key; the stages report as they finish, then the results arrive.
  for await (const event of mx.retrievers.executePublicStream(publication.public_name, { inputs: { query } })) {
    if (event.event_type === "stage_complete") console.log(`stage ${event.stage_name}: ${event.documents?.length ?? 0} matches`);
    if (event.event_type === "execution_error") throw new Error(event.error?.message ?? "search failed");
    if (event.event_type !== "execution_complete") continue;
    if (!event.documents?.length) console.log(`no scene of ${collection} matches "${query}"`);
    for (const doc of event.documents ?? []) console.log(`${clock(doc.start_time)}–${clock(doc.end_time)}  ${doc.description ?? ""}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});

function clock(seconds: unknown): string {
  const s = Math.max(0, typeof seconds === "number" ? seconds : 0);
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

function usage(): never {
  console.error('usage: SCENECAP_API_KEY=<key> npx tsx examples/publish-search.ts "<text>" [collection]');
  process.exit(2);
}
