import { StoreInputError } from "./errors.js";

export type StoreLocation =
  | { backend: "sqlite"; file: string }
  | { backend: "postgres"; connectionString: string; schema: string };

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads a store URL: `sqlite::memory:`, `sqlite:<path>` (also `sqlite://<path>`), a bare path ending in
 * `.db`/`.sqlite`/`.sqlite3`, or `postgres://…`/`postgresql://…` with an optional `?schema=<name>`.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== "string" || url.trim() === "") throw new StoreInputError("store url is empty");
  const u = url.trim();
  if (u === "sqlite::memory:" || u === ":memory:") return { backend: "sqlite", file: ":memory:" };
  if (u.startsWith("sqlite:")) {
    let file = u.slice("sqlite:".length);
    if (file.startsWith("//")) file = file.slice(2);
    if (file === "" ) throw new StoreInputError(`store url ${JSON.stringify(url)} names no file`);
    return { backend: "sqlite", file };
  }
  if (/^postgres(ql)?:\/\//.test(u)) {
    const parsed = new URL(u);
    const schema = parsed.searchParams.get("schema") ?? "public";
    if (!SCHEMA_NAME.test(schema)) {
      throw new StoreInputError(`invalid schema ${JSON.stringify(schema)}: use letters, digits and _ (not starting with a digit)`);
    }
    parsed.searchParams.delete("schema");
    return { backend: "postgres", connectionString: parsed.toString(), schema };
  }
  if (/\.(db|sqlite|sqlite3)$/i.test(u) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) return { backend: "sqlite", file: u };
  throw new StoreInputError(
    `unsupported store url ${JSON.stringify(url)}: use sqlite::memory:, sqlite:<path>, <path>.db or postgres://user@host:5432/db[?schema=name]`,
  );
}
