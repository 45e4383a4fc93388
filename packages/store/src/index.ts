import { PostgresStore } from "./postgres/pg-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { CollectionStore } from "./types.js";
import { parseStoreUrl } from "./url.js";

export * from "./types.js";
export { StoreConflictError, StoreInputError, BlobNotFoundError, InvalidBlobKeyError } from "./errors.js";
export { createBlobStore, resolveBlobKey } from "./blob-store.js";
export { SqliteStore } from "./sqlite/sqlite-store.js";
export { PostgresStore } from "./postgres/pg-store.js";
export { parseStoreUrl } from "./url.js";
export type { StoreLocation } from "./url.js";
export { documentText, searchTerms } from "./common.js";

/**
 * Opens a store and applies pending migrations. `url`: `sqlite::memory:`, `sqlite:<path>`, a bare
 * `<path>.db`/`.sqlite`, or `postgres://…[?schema=name]` (tables live in that schema, created if missing).
 */
export async function createStore(url: string): Promise<CollectionStore> {
  const loc = parseStoreUrl(url);
  let store: CollectionStore;
  if (loc.backend === "sqlite") {
    store = new SqliteStore(loc.file);
  } else {
    store = new PostgresStore(loc.connectionString, loc.schema);
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}
