import pg from "pg";
import { createBlobStore, createStore, type BlobStore, type CollectionStore } from "@scenecap/store";
import { DATABASE_URL } from "./env.js";

export async function openSqlite(file: string): Promise<CollectionStore> {
  return createStore(`sqlite:${file}`);
}

export function pgUrlWithSchema(schema: string): string {
  const u = new URL(DATABASE_URL);
  u.searchParams.set("schema", schema);
  return u.toString();
}

/** A PostgreSQL store in its own schema (dropped by `dropPgSchema`). Fails loudly when PostgreSQL is away. */
export async function openPostgres(schema: string): Promise<CollectionStore> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  try {
    await client.connect();
    await client.end();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${DATABASE_URL} (${(err as Error).message}); start it or set DATABASE_URL`);
  }
  return createStore(pgUrlWithSchema(schema));
}

export async function dropPgSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, "")}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function openStoreUrl(url: string): Promise<CollectionStore> {
  return createStore(url);
}

export function openBlobs(dir: string): BlobStore {
  return createBlobStore(dir);
}
