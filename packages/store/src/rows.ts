import type { ApiKeyRecord, LocalJob, ResourceRecord, StoredDocument } from "./types.js";

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** Filterable/sortable top-level columns of the `resources` table (alias `r`); everything else lives in `data`. */
export const RESOURCE_COLUMNS = { id: "r.id", namespace_id: "r.namespace_id", created_at: "r.created_at", updated_at: "r.updated_at" };
/** Sort columns of `resources`: the filter columns plus `name`. */
export const RESOURCE_SORT_COLUMNS = { ...RESOURCE_COLUMNS, name: "r.name" };
/** Filterable/sortable top-level columns of the `documents` table (alias `d`); everything else lives in `fields`. */
export const DOCUMENT_COLUMNS = {
  document_id: "d.document_id", collection_id: "d.collection_id", namespace_id: "d.namespace_id",
  object_id: "d.object_id", created_at: "d.created_at", updated_at: "d.updated_at",
};

/** A table as list queries see it: name and alias, JSON column, and the top-level columns filters and sorts may name. */
export interface ListedTable {
  table: string;
  alias: string;
  jsonCol: string;
  filterColumns: Record<string, string>;
  sortColumns: Record<string, string>;
}
export const RESOURCES_LISTED: ListedTable = {
  table: "resources", alias: "r", jsonCol: "r.data", filterColumns: RESOURCE_COLUMNS, sortColumns: RESOURCE_SORT_COLUMNS,
};
export const DOCUMENTS_LISTED: ListedTable = {
  table: "documents", alias: "d", jsonCol: "d.fields", filterColumns: DOCUMENT_COLUMNS, sortColumns: DOCUMENT_COLUMNS,
};

/**
 * How a backend hands back the columns whose storage differs: JSON (`jsonb` is already parsed by pg, SQLite
 * stores text) and integers (pg may return strings for them, SQLite returns numbers).
 */
export interface ColumnDecoder {
  json(value: unknown): unknown;
  int(value: unknown): number;
}

/** Row → record mappers for the four tables, identical on both backends but for `decode`. */
export function rowMappers(decode: ColumnDecoder) {
  return {
    toResource(row: Row): ResourceRecord {
      return {
        id: row.id as string,
        namespace_id: (row.namespace_id as string | null) ?? null,
        name: (row.name as string | null) ?? null,
        created_at: row.created_at as string,
        updated_at: row.updated_at as string,
        data: decode.json(row.data) as Record<string, unknown>,
      };
    },

    toDocument(row: Row): StoredDocument {
      return {
        document_id: row.document_id as string,
        collection_id: row.collection_id as string,
        namespace_id: row.namespace_id as string,
        object_id: (row.object_id as string | null) ?? null,
        fields: decode.json(row.fields) as Record<string, unknown>,
        created_at: row.created_at as string,
        updated_at: row.updated_at as string,
      };
    },

    toJob(row: Row): LocalJob {
      return {
        id: row.id as string,
        name: row.name as string,
        payload: decode.json(row.payload),
        state: row.state as LocalJob["state"],
        attempts_made: decode.int(row.attempts_made),
        max_attempts: decode.int(row.max_attempts),
        run_at: row.run_at as string,
        lease_until: (row.lease_until as string | null) ?? null,
        last_error: (row.last_error as string | null) ?? null,
      };
    },

    toApiKey(row: Row): ApiKeyRecord {
      return {
        key_id: row.key_id as string,
        key_hash: row.key_hash as string,
        name: row.name as string,
        default_namespace_id: (row.default_namespace_id as string | null) ?? null,
        created_at: row.created_at as string,
      };
    },
  };
}
