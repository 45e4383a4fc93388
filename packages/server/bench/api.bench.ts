/**
 * API throughput: the real server on loopback (SQLite file store seeded with caption documents), a bounded
 * number of concurrent search requests (`POST /v1/retrievers/execute`, feature_search), printing req/s and
 * latency percentiles. Flags: --docs 10000 --concurrency 16 --requests 4000 --warmup 200
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createStore, type StoredDocument } from "@scenecap/store";
import { defineConfig, startServer } from "../src/index.js";

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const DOCS = flag("docs", 10_000);
const CONCURRENCY = flag("concurrency", 16);
const REQUESTS = flag("requests", 4_000);
const WARMUP = flag("warmup", 200);

const SUBJECTS = ["a dog", "a cat", "a man", "a woman", "two children", "a red car", "a bicycle", "a horse", "a group of people", "a bird", "a boat", "a train"];
const VERBS = ["running on", "sitting on", "standing in", "walking along", "playing in", "riding through", "parked next to", "flying over", "lying on"];
const PLACES = ["the beach", "a grassy field", "a busy street", "a snowy mountain", "a kitchen", "a living room", "the ocean", "a forest", "a city at night", "a river", "a stage", "a parking lot"];
const EXTRAS = ["", " with a ball", " in the rain", " at sunset", " under a blue sky", " near a wooden fence", " holding an umbrella", ""];
const WORDS = ["dog", "cat", "beach", "car", "street", "snow", "kitchen", "ocean", "forest", "bicycle", "horse", "night", "river", "sunset", "umbrella", "boat", "train", "people", "field", "red"];

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "scenecap-api-bench-"));
  const dbFile = path.join(dir, "bench.sqlite");
  const key = "sk_bench_key_0123456789";
  try {
    // Seed through a first server start (creates the key's default namespace), then documents via the store.
    const boot = await startServer(defineConfig({ port: 0, host: "127.0.0.1", dataDir: dir, storeUrl: `sqlite:${dbFile}`, blobDir: path.join(dir, "blobs"), apiKeys: [key], logLevel: "silent" }), { handleSignals: false });
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const post = async (url: string, body: unknown) => {
      const res = await fetch(`${boot.url}${url}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const bucket = await post("/v1/buckets", { bucket_name: "bench", bucket_schema: { properties: { video: { type: "video" } } } });
    const collection = await post("/v1/collections", { collection_name: "bench-scenes", source: { bucket_id: bucket.bucket_id }, feature_extractor: { feature_extractor_name: "scene_description", version: "v1" } });
    await boot.close();

    const store = await createStore(`sqlite:${dbFile}`);
    const namespaceId = (await store.resources.list("namespace", null, { limit: 1, offset: 0 })).items[0]!.id; // the key's default namespace
    const t0 = performance.now();
    for (let start = 0; start < DOCS; start += 1000) {
      const batch: StoredDocument[] = [];
      for (let i = start; i < Math.min(DOCS, start + 1000); i++) {
        const t = (i % 360) * 10;
        batch.push({
          document_id: `doc_${i.toString(16).padStart(8, "0")}`, collection_id: collection.collection_id, namespace_id: namespaceId, object_id: `obj_${Math.floor(i / 360)}`,
          fields: { description: `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(PLACES)}${pick(EXTRAS)}`, start_time: t, end_time: t + 10, thumbnail_url: `blob://thumbnails/${collection.collection_id}/doc_${i}.jpg`, _internal: { modality: "video" } },
        });
      }
      await store.documents.upsert(batch);
    }
    const seedMs = performance.now() - t0;
    await store.close();

    const server = await startServer(defineConfig({ port: 0, host: "127.0.0.1", dataDir: dir, storeUrl: `sqlite:${dbFile}`, blobDir: path.join(dir, "blobs"), apiKeys: [key], logLevel: "silent" }), { handleSignals: false });
    const body = () => JSON.stringify({
      collection_identifiers: [collection.collection_id],
      stages: [{ stage_name: "search", config: { stage_id: "feature_search", parameters: {
        searches: [{ feature_uri: "mixpeek://scene_description@v1/salesforce_blip2_v1", query: "{{INPUT.q}}", top_k: 50 }], final_top_k: 10,
      } } }],
      inputs: { q: rnd() < 0.5 ? pick(WORDS) : `${pick(WORDS)} ${pick(WORDS)}` },
      settings: { limit: 10 },
    });
    let hits = 0;
    const one = async (): Promise<number> => {
      const s = performance.now();
      const res = await fetch(`${server.url}/v1/retrievers/execute`, { method: "POST", headers: auth, body: body() });
      const json = (await res.json()) as { documents?: unknown[] };
      if (res.status !== 200) throw new Error(`search failed: ${res.status} ${JSON.stringify(json)}`);
      hits += json.documents?.length ?? 0;
      return performance.now() - s;
    };
    const run = async (total: number): Promise<{ latencies: number[]; wallMs: number }> => {
      const latencies: number[] = [];
      let issued = 0;
      const start = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (issued < total) {
          issued++;
          latencies.push(await one());
        }
      }));
      return { latencies, wallMs: performance.now() - start };
    };
    await run(WARMUP);
    hits = 0;
    const { latencies, wallMs } = await run(REQUESTS);
    await server.close();
    latencies.sort((a, b) => a - b);
    const rows: Array<[string, string]> = [
      ["documents", String(DOCS)],
      ["seed (store upsert)", `${Math.round(DOCS / (seedMs / 1000))} docs/s`],
      ["concurrency", String(CONCURRENCY)],
      ["requests", String(REQUESTS)],
      ["throughput", `${(REQUESTS / (wallMs / 1000)).toFixed(0)} req/s`],
      ["latency p50", `${percentile(latencies, 50).toFixed(2)} ms`],
      ["latency p90", `${percentile(latencies, 90).toFixed(2)} ms`],
      ["latency p99", `${percentile(latencies, 99).toFixed(2)} ms`],
      ["latency max", `${latencies[latencies.length - 1]!.toFixed(2)} ms`],
      ["avg documents/answer", (hits / REQUESTS).toFixed(1)],
    ];
    console.log(`\nscenecap API bench — POST /v1/retrievers/execute (feature_search, SQLite FTS5), node ${process.version}`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(22)} ${v}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
