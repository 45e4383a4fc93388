import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore, createStore } from "../src/index.js";
import { storeContract } from "./store.contract.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schemas: string[] = [];
let n = 0;

function urlWithSchema(schema: string): string {
  const u = new URL(DATABASE_URL);
  u.searchParams.set("schema", schema);
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${DATABASE_URL} (${(e as Error).message}). Start it (e.g. \`docker compose up -d postgres\` ` +
        `or \`pg_ctlcluster 15 main start\`) or point DATABASE_URL at a server where the user may create schemas.`,
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin((c) => c.query("SELECT 1"));
});

afterAll(async () => {
  if (schemas.length === 0) return;
  await admin(async (c) => {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
});

storeContract("postgres", async () => {
  const schema = `store_test_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 7)}`;
  schemas.push(schema);
  const url = urlWithSchema(schema);
  return { store: await createStore(url), reopen: () => createStore(url) };
});

describe("postgres specifics", () => {
  it("finds the same documents as SQLite for the same English queries", async () => {
    const schema = `store_test_${process.pid}_parity`;
    schemas.push(schema);
    const pgStore = await createStore(urlWithSchema(schema));
    const lite = await createStore("sqlite::memory:");
    try {
      const subjects = ["man", "woman", "dog", "children", "horses", "cyclist", "chef", "birds"];
      const verbs = ["walking", "runs", "rode", "is cooking", "are playing", "jumped", "sleeps", "swimming"];
      const places = ["on a busy street", "in the kitchen", "across a snowy field", "by the river", "on the beach at sunset"];
      const docs = Array.from({ length: 160 }, (_, i) => ({
        namespace_id: "ns",
        collection_id: "col",
        document_id: `d${i}`,
        fields: {
          description: `A ${subjects[i % subjects.length]} ${verbs[(i * 3) % verbs.length]} ${places[(i * 7) % places.length]}.`,
          ocr_text: i % 10 === 0 ? "SALE: 50% off today!" : "",
          start_time: i,
        },
      }));
      await pgStore.documents.upsert(docs);
      await lite.documents.upsert(docs);
      const queries = [
        "dog", "dogs", "running", "the man walks", "cooking in a kitchen", "horse riding", "children play", "snow field",
        "sunset beach", "swim", "bird", "sale", "50% off", "a", "cyclists riding by the river", "women", "jumping dog",
      ];
      for (const text of queries) {
        const q = { namespace_id: "ns", collection_ids: ["col"], text, limit: 500, offset: 0 };
        const a = (await pgStore.documents.search(q)).items.map((h) => h.document.document_id).sort();
        const b = (await lite.documents.search(q)).items.map((h) => h.document.document_id).sort();
        expect({ text, ids: a }).toEqual({ text, ids: b });
      }
      const dogs = await pgStore.documents.search({ namespace_id: "ns", collection_ids: ["col"], text: "dogs", limit: 500, offset: 0 });
      expect(dogs.total).toBe(20);
    } finally {
      await pgStore.close();
      await lite.close();
    }
  });

  it("creates its tables in the schema named by the url, with a GIN index on the tsvector", async () => {
    const schema = `store_test_${process.pid}_specifics`;
    schemas.push(schema);
    const store = (await createStore(urlWithSchema(schema))) as PostgresStore;
    try {
      expect(store.schema).toBe(schema);
      // Two concurrent migrate() calls on a fresh schema do not trip over each other.
      await Promise.all([store.migrate(), store.migrate()]);
      const tables = await admin((c) =>
        c.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]),
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(["api_key_grants", "api_keys", "documents", "jobs", "resources", "scenecap_migrations"]);
      const idx = await admin((c) => c.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'documents_tsv'`, [schema]));
      expect(idx.rows[0]?.indexdef).toMatch(/USING gin \(tsv\)/);
      const migrations = await admin((c) => c.query(`SELECT version FROM "${schema}".scenecap_migrations`));
      expect(migrations.rows).toEqual([{ version: 1 }]);
    } finally {
      await store.close();
    }
  });
});
