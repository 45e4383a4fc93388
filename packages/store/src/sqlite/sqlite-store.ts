import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Database as Db } from "better-sqlite3";
import {
  checkKind, descriptionOnly, documentText, fts5Query, nowIso, pageParams, searchTerms,
} from "../common.js";
import { StoreConflictError } from "../errors.js";
import { SqliteParams, compileFilter } from "../filter-sql.js";
import type {
  ApiKeyRecord, ApiKeyStore, CollectionStore, DocumentStore, ListQuery, LocalJob, LocalJobQueue, Page, ResourceKind,
  ResourceRecord, ResourceStore, SearchHit, SearchQuery, StoredDocument,
} from "../types.js";
import {
  apiKeyConflict, checkDocumentKeys, jobMaxAttempts, LEASE_EXPIRED, leaseUntil, newApiKey, newResource, orderClause, resourceConflict, unknownApiKey,
  updatedResource,
} from "../records.js";
import { DOCUMENT_COLUMNS, DOCUMENTS_LISTED, RESOURCES_LISTED, rowMappers, type ListedTable, type Row } from "../rows.js";
import { sqliteDialect, sqliteSortExpr } from "./filters.js";
import { SQLITE_MIGRATIONS } from "./migrations.js";

const { toResource, toDocument, toJob, toApiKey } = rowMappers({ json: (v) => JSON.parse(v as string) as unknown, int: (v) => v as number });

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/**
 * Collection store on SQLite (better-sqlite3): WAL, busy timeout, foreign keys, FTS5 over document text.
 * better-sqlite3 is synchronous; the async methods keep the shared interface and turn throws into
 * rejections.
 */
export class SqliteStore implements CollectionStore {
  readonly kind = "sqlite" as const;
  readonly db: Db;
  readonly resources: ResourceStore;
  readonly documents: DocumentStore;
  readonly apiKeys: ApiKeyStore;
  readonly jobs: LocalJobQueue;

  /** `file` is a path or `:memory:`; the parent directory of a path is created when missing. */
  constructor(readonly file: string, options: { busyTimeoutMs?: number } = {}) {
    if (file !== ":memory:" && file !== "") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (file !== ":memory:") this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.function("scn_fold", { deterministic: true }, (x: unknown) => (typeof x === "string" ? x.toLowerCase() : x));
    const regexes = new Map<string, RegExp>();
    this.db.function("scn_regexp", { deterministic: true }, (pattern: unknown, value: unknown, flags: unknown) => {
      if (typeof pattern !== "string" || typeof value !== "string") return 0;
      const key = `${String(flags)}/${pattern}`;
      let re = regexes.get(key);
      if (!re) {
        re = new RegExp(pattern, typeof flags === "string" ? flags : "");
        if (regexes.size > 256) regexes.clear();
        regexes.set(key, re);
      }
      return re.test(value) ? 1 : 0;
    });
    this.resources = new SqliteResources(this.db);
    this.documents = new SqliteDocuments(this.db);
    this.apiKeys = new SqliteApiKeys(this.db);
    this.jobs = new SqliteJobs(this.db);
  }

  async migrate(): Promise<void> {
    const db = this.db;
    db.exec(`CREATE TABLE IF NOT EXISTS scenecap_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    for (const m of SQLITE_MIGRATIONS) {
      db.transaction(() => {
        const done = db.prepare("SELECT 1 FROM scenecap_migrations WHERE version = ?").get(m.version);
        if (done) return;
        db.exec(m.sql);
        db.prepare("INSERT INTO scenecap_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, nowIso());
      }).immediate();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteResources implements ResourceStore {
  constructor(private readonly db: Db) {}

  async create(kind: ResourceKind, record: ResourceRecord): Promise<ResourceRecord> {
    checkKind(kind);
    const rec = newResource(record);
    try {
      this.db
        .prepare(`INSERT INTO resources (kind, id, namespace_id, name, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(kind, rec.id, rec.namespace_id, rec.name, rec.created_at, rec.updated_at, JSON.stringify(rec.data));
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(kind, rec, e);
      throw e;
    }
    return rec;
  }

  async get(kind: ResourceKind, namespaceId: string | null, idOrName: string): Promise<ResourceRecord | null> {
    checkKind(kind);
    const row = this.db
      .prepare(`SELECT * FROM resources WHERE kind = ? AND namespace_id IS ? AND (id = ? OR name = ?)
                ORDER BY (id = ?) DESC LIMIT 1`)
      .get(kind, namespaceId, idOrName, idOrName, idOrName) as Row | undefined;
    return row ? toResource(row) : null;
  }

  async list(kind: ResourceKind, namespaceId: string | null, query: ListQuery): Promise<Page<ResourceRecord>> {
    checkKind(kind);
    const { limit, offset } = pageParams(query);
    const params = new SqliteParams();
    const where = [`r.kind = ${params.add(kind)}`, `r.namespace_id IS ${params.add(namespaceId)}`];
    if (query.search) where.push(`instr(scn_fold(coalesce(r.name, '')), scn_fold(${params.add(query.search)})) > 0`);
    const { rows, total } = listRows(this.db, RESOURCES_LISTED, where, params, query, limit, offset);
    return { items: rows.map(toResource), total };
  }

  async update(
    kind: ResourceKind,
    namespaceId: string | null,
    id: string,
    fn: (current: ResourceRecord) => { data: Record<string, unknown>; name?: string | null },
  ): Promise<ResourceRecord | null> {
    checkKind(kind);
    const tx = this.db.transaction((): ResourceRecord | null => {
      const row = this.db.prepare(`SELECT * FROM resources WHERE kind = ? AND namespace_id IS ? AND id = ?`).get(kind, namespaceId, id) as
        | Row
        | undefined;
      if (!row) return null;
      const current = toResource(row);
      const rec = updatedResource(current, fn);
      try {
        this.db
          .prepare(`UPDATE resources SET name = ?, data = ?, updated_at = ? WHERE kind = ? AND id = ?`)
          .run(rec.name, JSON.stringify(rec.data), rec.updated_at, kind, id);
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(kind, rec, e);
        throw e;
      }
      return rec;
    });
    return tx.immediate();
  }

  async delete(kind: ResourceKind, namespaceId: string | null, id: string): Promise<boolean> {
    checkKind(kind);
    return this.db.prepare(`DELETE FROM resources WHERE kind = ? AND namespace_id IS ? AND id = ?`).run(kind, namespaceId, id).changes > 0;
  }
}

function conflict(kind: string, rec: ResourceRecord, e: unknown): StoreConflictError {
  const msg = String((e as Error).message);
  return resourceConflict(kind, rec, msg.includes(".name") || msg.includes("resources_kind_ns_name"));
}

function orderBy(query: ListQuery, dataCol: string, columns: Record<string, string>, seqCol: string, params: SqliteParams): string {
  return orderClause(query, seqCol, (path) => sqliteSortExpr(path, dataCol, columns, params));
}

/**
 * One page of `t`'s rows matching `where` (already holding `params`) and the query's filters, in the
 * query's order, with the total number of matching rows.
 */
function listRows(
  db: Db, t: ListedTable, where: string[], params: SqliteParams, query: ListQuery, limit: number, offset: number,
): { rows: Row[]; total: number } {
  where.push(compileFilter(query.filters, sqliteDialect(t.jsonCol, t.filterColumns), params));
  const order = orderBy(query, t.jsonCol, t.sortColumns, `${t.alias}.seq`, params);
  const from = `${t.table} ${t.alias}`;
  const whereSql = where.join(" AND ");
  const total = (db.prepare(`SELECT count(*) AS n FROM ${from} WHERE ${whereSql}`).get(params.values) as { n: number }).n;
  const rows = db
    .prepare(`SELECT ${t.alias}.* FROM ${from} WHERE ${whereSql} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`)
    .all(params.values) as Row[];
  return { rows, total };
}

class SqliteDocuments implements DocumentStore {
  constructor(private readonly db: Db) {}

  async upsert(docs: StoredDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const now = nowIso();
    const stmt = this.db.prepare(`
      INSERT INTO documents (namespace_id, collection_id, document_id, object_id, created_at, updated_at, fields, description, body)
      VALUES (@namespace_id, @collection_id, @document_id, @object_id, @created_at, @updated_at, @fields, @description, @body)
      ON CONFLICT (namespace_id, collection_id, document_id) DO UPDATE SET
        object_id = excluded.object_id, updated_at = excluded.updated_at, fields = excluded.fields,
        description = excluded.description, body = excluded.body`);
    const rows = docs.map((d) => {
      checkDocumentKeys(d);
      const fields = d.fields ?? {};
      const text = documentText(fields);
      return {
        namespace_id: d.namespace_id,
        collection_id: d.collection_id,
        document_id: d.document_id,
        object_id: d.object_id ?? null,
        created_at: d.created_at ?? now,
        updated_at: d.updated_at ?? now,
        fields: JSON.stringify(fields),
        description: text.description,
        body: text.body,
      };
    });
    this.db.transaction(() => {
      for (const r of rows) stmt.run(r);
    }).immediate();
  }

  async get(namespaceId: string, collectionId: string, documentId: string): Promise<StoredDocument | null> {
    const row = this.db
      .prepare(`SELECT * FROM documents WHERE namespace_id = ? AND collection_id = ? AND document_id = ?`)
      .get(namespaceId, collectionId, documentId) as Row | undefined;
    return row ? toDocument(row) : null;
  }

  async list(namespaceId: string, collectionId: string, query: ListQuery): Promise<Page<StoredDocument>> {
    const { limit, offset } = pageParams(query);
    const params = new SqliteParams();
    const where = [`d.namespace_id = ${params.add(namespaceId)}`, `d.collection_id = ${params.add(collectionId)}`];
    if (query.search !== undefined && query.search !== "") {
      const terms = searchTerms(query.search);
      if (terms.length === 0) return { items: [], total: 0 };
      where.push(`d.seq IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ${params.add(fts5Query(terms))})`);
    }
    const { rows, total } = listRows(this.db, DOCUMENTS_LISTED, where, params, query, limit, offset);
    return { items: rows.map(toDocument), total };
  }

  async delete(namespaceId: string, collectionId: string, documentId: string): Promise<boolean> {
    return (
      this.db
        .prepare(`DELETE FROM documents WHERE namespace_id = ? AND collection_id = ? AND document_id = ?`)
        .run(namespaceId, collectionId, documentId).changes > 0
    );
  }

  async deleteByCollection(namespaceId: string, collectionId: string): Promise<number> {
    return this.db.prepare(`DELETE FROM documents WHERE namespace_id = ? AND collection_id = ?`).run(namespaceId, collectionId).changes;
  }

  async count(namespaceId: string, collectionId: string): Promise<number> {
    return (
      this.db.prepare(`SELECT count(*) AS n FROM documents WHERE namespace_id = ? AND collection_id = ?`).get(namespaceId, collectionId) as {
        n: number;
      }
    ).n;
  }

  async search(query: SearchQuery): Promise<Page<SearchHit>> {
    const { limit, offset } = pageParams(query);
    const terms = searchTerms(query.text ?? "");
    if (terms.length === 0 || query.collection_ids.length === 0) return { items: [], total: 0 };
    const params = new SqliteParams();
    const match = fts5Query(terms, descriptionOnly(query.fields) ? "description" : undefined);
    const where = [
      `documents_fts MATCH ${params.add(match)}`,
      `d.namespace_id = ${params.add(query.namespace_id)}`,
      `d.collection_id IN (SELECT value FROM json_each(${params.add(JSON.stringify(query.collection_ids))}))`,
      compileFilter(query.filters, sqliteDialect("d.fields", DOCUMENT_COLUMNS), params),
    ].join(" AND ");
    const from = `documents_fts JOIN documents d ON d.seq = documents_fts.rowid`;
    const rows = this.db
      .prepare(
        `SELECT d.*, -bm25(documents_fts, 1.0, 0.4) AS score,
                snippet(documents_fts, -1, '<em>', '</em>', '…', 32) AS highlight
         FROM ${from} WHERE ${where}
         ORDER BY score DESC, d.seq ASC LIMIT ${limit} OFFSET ${offset}`,
      )
      .all(params.values) as Row[];
    let total: number;
    if (offset === 0 && rows.length < limit) total = rows.length;
    else total = (this.db.prepare(`SELECT count(*) AS n FROM ${from} WHERE ${where}`).get(params.values) as { n: number }).n;
    return {
      items: rows.map((r) => ({ document: toDocument(r), score: r.score as number, highlight: (r.highlight as string | null) ?? "" })),
      total,
    };
  }
}

class SqliteApiKeys implements ApiKeyStore {
  constructor(private readonly db: Db) {}

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const rec = newApiKey(record);
    try {
      this.db
        .prepare(`INSERT INTO api_keys (key_id, key_hash, name, default_namespace_id, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(rec.key_id, rec.key_hash, rec.name, rec.default_namespace_id, rec.created_at);
    } catch (e) {
      if (isUniqueViolation(e)) throw apiKeyConflict(String((e as Error).message));
      throw e;
    }
    if (rec.default_namespace_id) await this.grant(rec.key_id, rec.default_namespace_id);
    return rec;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare(`SELECT * FROM api_keys WHERE key_hash = ?`).get(keyHash) as Row | undefined;
    return row ? toApiKey(row) : null;
  }

  async setDefaultNamespace(keyId: string, namespaceId: string): Promise<void> {
    this.db.transaction(() => {
      const n = this.db.prepare(`UPDATE api_keys SET default_namespace_id = ? WHERE key_id = ?`).run(namespaceId, keyId).changes;
      if (n === 0) throw unknownApiKey(keyId);
      this.db.prepare(`INSERT INTO api_key_grants (key_id, namespace_id) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(keyId, namespaceId);
    }).immediate();
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare(`SELECT * FROM api_keys ORDER BY created_at, key_id`).all() as Row[]).map(toApiKey);
  }

  async grant(keyId: string, namespaceId: string): Promise<void> {
    try {
      this.db.prepare(`INSERT INTO api_key_grants (key_id, namespace_id) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(keyId, namespaceId);
    } catch (e) {
      if ((e as { code?: unknown }).code === "SQLITE_CONSTRAINT_FOREIGNKEY") throw unknownApiKey(keyId);
      throw e;
    }
  }

  async canAccess(keyId: string, namespaceId: string): Promise<boolean> {
    return !!this.db.prepare(`SELECT 1 FROM api_key_grants WHERE key_id = ? AND namespace_id = ?`).get(keyId, namespaceId);
  }
}

class SqliteJobs implements LocalJobQueue {
  constructor(private readonly db: Db) {}

  async enqueue(job: { id: string; name: string; payload: unknown; max_attempts: number }): Promise<void> {
    const maxAttempts = jobMaxAttempts(job);
    const now = nowIso();
    this.db
      .prepare(`INSERT INTO jobs (id, name, payload, state, attempts_made, max_attempts, run_at, created_at, updated_at)
                VALUES (?, ?, ?, 'waiting', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
      .run(job.id, job.name, JSON.stringify(job.payload ?? null), maxAttempts, now, now, now);
  }

  async claim(leaseMs: number): Promise<LocalJob | null> {
    const now = nowIso();
    const until = leaseUntil(leaseMs);
    const row = this.db
      .prepare(`UPDATE jobs SET state = 'active', lease_until = @until, attempts_made = attempts_made + 1, updated_at = @now
                WHERE seq = (SELECT seq FROM jobs
                             WHERE (state = 'waiting' AND run_at <= @now)
                                OR (state = 'active' AND lease_until <= @now AND attempts_made < max_attempts)
                             ORDER BY run_at, seq LIMIT 1)
                RETURNING *`)
      .get({ now, until }) as Row | undefined;
    return row ? toJob(row) : null;
  }

  async reapExpired(): Promise<LocalJob[]> {
    const rows = this.db
      .prepare(`UPDATE jobs SET state = 'failed', lease_until = NULL, updated_at = @now,
                  last_error = coalesce(last_error || '; ', '') || '${LEASE_EXPIRED}'
                WHERE state = 'active' AND lease_until <= @now AND attempts_made >= max_attempts
                RETURNING *`)
      .all({ now: nowIso() }) as Row[];
    return rows.map(toJob);
  }

  async extendLease(id: string, leaseMs: number): Promise<void> {
    const until = leaseUntil(leaseMs);
    this.db.prepare(`UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND state = 'active'`).run(until, nowIso(), id);
  }

  async complete(id: string): Promise<void> {
    this.db.prepare(`UPDATE jobs SET state = 'completed', lease_until = NULL, updated_at = ? WHERE id = ?`).run(nowIso(), id);
  }

  async fail(id: string, error: string, retryAt: Date | null): Promise<void> {
    const now = nowIso();
    if (retryAt) {
      this.db
        .prepare(`UPDATE jobs SET state = 'waiting', run_at = ?, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`)
        .run(retryAt.toISOString(), error, now, id);
    } else {
      this.db.prepare(`UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`).run(error, now, id);
    }
  }

  async counts(): Promise<Record<LocalJob["state"], number>> {
    const out: Record<LocalJob["state"], number> = { waiting: 0, active: 0, completed: 0, failed: 0 };
    for (const r of this.db.prepare(`SELECT state, count(*) AS n FROM jobs GROUP BY state`).all() as Array<{ state: LocalJob["state"]; n: number }>) {
      out[r.state] = r.n;
    }
    return out;
  }
}
