/**
 * Store benchmark: batched document upserts and full-text query latency on SQLite and PostgreSQL.
 *
 *   npm run bench -w @scenecap/store -- [--sizes 100000,1000000] [--backends sqlite,postgres] [--batch 1000] [--queries 200]
 *
 * PostgreSQL comes from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each run uses a
 * fresh schema that is dropped afterwards. SQLite runs on a temp file (WAL).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createStore } from "../src/index.js";
import type { CollectionStore, StoredDocument } from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "100000,1000000" },
    backends: { type: "string", default: "sqlite,postgres" },
    batch: { type: "string", default: "1000" },
    queries: { type: "string", default: "200" },
  },
});
const sizes = args.sizes.split(",").map((s) => Number(s.trim()));
const backends = args.backends.split(",").map((s) => s.trim());
const batchSize = Number(args.batch);
const queryCount = Number(args.queries);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(batchSize) || batchSize <= 0) {
  console.error("--sizes and --batch take positive integers, e.g. --sizes 100000,1000000 --batch 1000");
  process.exit(2);
}
for (const b of backends) {
  if (b !== "sqlite" && b !== "postgres") {
    console.error(`unknown backend ${JSON.stringify(b)}; use sqlite and/or postgres`);
    process.exit(2);
  }
}
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Small seeded PRNG so every run indexes the same corpus and asks the same queries. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = ["man", "woman", "child", "dog", "cat", "horse", "bird", "group of people", "boy", "girl", "couple", "cyclist",
  "skateboarder", "surfer", "chef", "soldier", "police officer", "crowd", "cow", "elephant", "giraffe", "bear", "train", "car",
  "bus", "truck", "motorcycle", "boat", "airplane", "player", "dancer", "musician", "teacher", "student", "baby", "sheep"];
const ADJECTIVES = ["red", "blue", "green", "white", "black", "yellow", "small", "large", "old", "young", "wooden", "crowded",
  "empty", "busy", "quiet", "bright", "dark", "snowy", "rainy", "sunny", "tall", "colorful", "smiling", "tired", "happy"];
const VERBS = ["walking", "running", "sitting", "standing", "riding", "holding", "eating", "playing", "driving", "jumping",
  "talking", "looking", "carrying", "swimming", "dancing", "cooking", "reading", "sleeping", "throwing", "catching", "parked"];
const OBJECTS = ["ball", "umbrella", "bicycle", "guitar", "frisbee", "kite", "phone", "book", "pizza", "sandwich", "laptop",
  "surfboard", "skateboard", "bag", "hat", "cup of coffee", "newspaper", "camera", "flag", "microphone", "tennis racket"];
const PLACES = ["on a street", "in a park", "on the beach", "in a kitchen", "in a field", "near a river", "in a city",
  "on a snowy mountain", "in an office", "at a train station", "in a classroom", "on a stage", "in a forest", "at night",
  "in front of a building", "on a bridge", "in the rain", "at the airport", "in a stadium", "next to a fence", "by the sea"];
const WORDS = [...new Set([...SUBJECTS, ...ADJECTIVES, ...VERBS, ...OBJECTS, ...PLACES].join(" ").split(" "))].filter(
  (w) => w.length > 2 && !["the", "and", "a", "an", "on", "in", "at", "of", "by", "next", "front", "near"].includes(w),
);

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function caption(r: () => number): string {
  const s = `a ${pick(r, ADJECTIVES)} ${pick(r, SUBJECTS)} ${pick(r, VERBS)}`;
  const withObject = r() < 0.6 ? ` a ${pick(r, ADJECTIVES)} ${pick(r, OBJECTS)}` : "";
  const second = r() < 0.4 ? `, and a ${pick(r, SUBJECTS)} ${pick(r, VERBS)} ${pick(r, PLACES)}` : "";
  return `${s}${withObject} ${pick(r, PLACES)}${second}`;
}

function makeBatch(r: () => number, start: number, count: number): StoredDocument[] {
  const out: StoredDocument[] = [];
  for (let i = start; i < start + count; i++) {
    const objectIdx = Math.floor(i / 120); // ~120 scenes per video
    const seg = i % 120;
    const startTime = seg * 5;
    out.push({
      namespace_id: "ns_bench",
      collection_id: "col_bench",
      document_id: `doc_${i.toString(36)}`,
      object_id: `obj_${objectIdx}`,
      fields: {
        description: caption(r),
        start_time: startTime,
        end_time: startTime + 5,
        thumbnail_url: `blob://thumbnails/col_bench/doc_${i.toString(36)}.jpg`,
        _internal: { lineage: { source_object_id: `obj_${objectIdx}`, root_object_id: `obj_${objectIdx}` }, modality: "video" },
      },
    });
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Result {
  backend: string;
  size: number;
  insertDocsPerS: number;
  p50: number;
  p99: number;
  meanHits: number;
}

async function openBackend(backend: string): Promise<{ store: CollectionStore; cleanup: () => Promise<void> }> {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "scenecap-bench-"));
    const store = await createStore(`sqlite:${join(dir, "bench.db")}`);
    return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `store_bench_${process.pid}`;
  const u = new URL(DATABASE_URL);
  u.searchParams.set("schema", schema);
  const store = await createStore(u.toString());
  return {
    store,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

async function runOne(backend: string, size: number): Promise<Result> {
  const { store, cleanup } = await openBackend(backend);
  try {
    const r = rng(42);
    let insertMs = 0;
    let lastReport = Date.now();
    for (let done = 0; done < size; done += batchSize) {
      const batch = makeBatch(r, done, Math.min(batchSize, size - done));
      const t0 = performance.now();
      await store.documents.upsert(batch);
      insertMs += performance.now() - t0;
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        process.stderr.write(`  ${backend} ${size}: ${done + batch.length} docs inserted\n`);
      }
    }
    if (store.kind === "postgres") {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`ANALYZE "store_bench_${process.pid}".documents`);
      await c.end();
    }
    const q = rng(7);
    const queries = Array.from({ length: queryCount }, () => (q() < 0.5 ? pick(q, WORDS) : `${pick(q, WORDS)} ${pick(q, WORDS)}`));
    // Warm-up: a few queries so the first timings do not measure cold caches only.
    for (const text of queries.slice(0, 5)) {
      await store.documents.search({ namespace_id: "ns_bench", collection_ids: ["col_bench"], text, limit: 10, offset: 0 });
    }
    const times: number[] = [];
    let hits = 0;
    for (const text of queries) {
      const t0 = performance.now();
      const res = await store.documents.search({ namespace_id: "ns_bench", collection_ids: ["col_bench"], text, limit: 10, offset: 0 });
      times.push(performance.now() - t0);
      hits += res.total;
    }
    times.sort((a, b) => a - b);
    return {
      backend,
      size,
      insertDocsPerS: size / (insertMs / 1000),
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      meanHits: hits / queries.length,
    };
  } finally {
    await store.close();
    await cleanup();
  }
}

const results: Result[] = [];
for (const size of sizes) {
  for (const backend of backends) {
    process.stderr.write(`running ${backend} with ${size} documents…\n`);
    results.push(await runOne(backend, size));
  }
}

const fmt = (n: number, d = 1) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\nstore bench: batched upserts of ${batchSize} docs; ${queryCount} random 1-2 word queries, limit 10 (times in ms)\n`);
console.log("| backend  | documents | insert docs/s | query p50 | query p99 | mean matches |");
console.log("|----------|----------:|--------------:|----------:|----------:|-------------:|");
for (const r of results) {
  console.log(
    `| ${r.backend.padEnd(8)} | ${r.size.toLocaleString("en-US").padStart(9)} | ${fmt(r.insertDocsPerS, 0).padStart(13)} | ` +
      `${fmt(r.p50, 2).padStart(9)} | ${fmt(r.p99, 2).padStart(9)} | ${fmt(r.meanHits, 0).padStart(12)} |`,
  );
}
