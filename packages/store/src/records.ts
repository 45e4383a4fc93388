import { normaliseSort, nowIso, parseFieldPath } from "./common.js";
import { StoreConflictError, StoreInputError } from "./errors.js";
import type { ApiKeyRecord, ListQuery, ResourceRecord, StoredDocument } from "./types.js";

// Write-side rules shared by both backends: how an incoming record is completed and validated before it
// is stored, and how constraint violations are reported.

/** The record `create` stores: missing optional fields filled in, timestamps defaulted to now. */
export function newResource(record: ResourceRecord): ResourceRecord {
  const now = nowIso();
  const rec: ResourceRecord = {
    id: record.id,
    namespace_id: record.namespace_id ?? null,
    name: record.name ?? null,
    created_at: record.created_at || now,
    updated_at: record.updated_at || record.created_at || now,
    data: record.data ?? {},
  };
  if (typeof rec.id !== "string" || rec.id === "") throw new StoreInputError("a resource needs a non-empty id");
  return rec;
}

/** Applies an `update` callback to the current record, checking what it returned. */
export function updatedResource(
  current: ResourceRecord,
  fn: (current: ResourceRecord) => { data: Record<string, unknown>; name?: string | null },
): ResourceRecord {
  const next = fn(current);
  if (!next || typeof next !== "object" || typeof next.data !== "object" || next.data === null) {
    throw new StoreInputError("update function must return { data, name? }");
  }
  return {
    ...current,
    name: next.name === undefined ? current.name ?? null : next.name,
    data: next.data,
    updated_at: nowIso(),
  };
}

/** A duplicate resource: by name when the backend says the name index was hit (`byName`), else by id. */
export function resourceConflict(kind: string, rec: ResourceRecord, byName: boolean): StoreConflictError {
  if (byName) return new StoreConflictError(`a ${kind} named ${JSON.stringify(rec.name)} already exists`, "name");
  return new StoreConflictError(`a ${kind} with id ${JSON.stringify(rec.id)} already exists`, "id");
}

/** Throws unless the document's key fields are non-empty strings. */
export function checkDocumentKeys(d: StoredDocument): void {
  for (const k of ["namespace_id", "collection_id", "document_id"] as const) {
    if (typeof d[k] !== "string" || d[k] === "") throw new StoreInputError(`document ${k} must be a non-empty string`);
  }
}

/** The api key record `create` stores. */
export function newApiKey(record: ApiKeyRecord): ApiKeyRecord {
  return { ...record, default_namespace_id: record.default_namespace_id ?? null, created_at: record.created_at || nowIso() };
}

/** A duplicate api key; `detail` is the backend's constraint name or message, which names the column hit. */
export function apiKeyConflict(detail: string): StoreConflictError {
  const field = detail.includes("key_hash") ? "key_hash" : "key_id";
  return new StoreConflictError(`an api key with this ${field} already exists`, field);
}

export function unknownApiKey(keyId: string): StoreInputError {
  return new StoreInputError(`unknown api key ${JSON.stringify(keyId)}`);
}

/** Validates a job to enqueue and returns its attempt budget (at least 1, whole). */
export function jobMaxAttempts(job: { id: string; max_attempts: number }): number {
  if (typeof job.id !== "string" || job.id === "") throw new StoreInputError("a job needs a non-empty id");
  return Math.max(1, Math.floor(job.max_attempts || 1));
}

/** `last_error` of a job failed by `reapExpired`. */
export const LEASE_EXPIRED = "lease expired on the last attempt: the process running it stopped";

/** ISO time `leaseMs` from now. */
export function leaseUntil(leaseMs: number): string {
  return new Date(Date.now() + leaseMs).toISOString();
}

/**
 * ORDER BY for a list: insertion order (`seqCol`) without a sort, else the sort expression the backend
 * builds for the validated field path, nulls last, ties broken by insertion order in the same direction.
 */
export function orderClause(query: ListQuery, seqCol: string, sortExpr: (path: string[], field: string) => string): string {
  const sort = normaliseSort(query.sort);
  if (!sort) return `${seqCol} ASC`;
  const expr = sortExpr(parseFieldPath(sort.field), sort.field);
  const dir = sort.direction === "desc" ? "DESC" : "ASC";
  return `${expr} ${dir} NULLS LAST, ${seqCol} ${dir}`;
}
