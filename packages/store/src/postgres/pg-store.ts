import { FilterSyntaxError } from "@scenecap/protocol";
import pg from "pg";
import type { PoolClient, PoolConfig } from "pg";
import {
  checkKind, descriptionOnly, documentText, nowIso, pageParams, searchTerms,
} from "../common.js";
import { StoreConflictError, StoreInputError } from "../errors.js";
import { PgParams, compileFilter } from "../filter-sql.js";
import type {
  ApiKeyRecord, ApiKeyStore, CollectionStore, DocumentStore, ListQuery, LocalJob, LocalJobQueue, Page, ResourceKind,
  ResourceRecord, ResourceStore, SearchHit, SearchQuery, StoredDocument,
} from "../types.js";
import {
  apiKeyConflict, checkDocumentKeys, jobMaxAttempts, LEASE_EXPIRED, leaseUntil, newApiKey, newResource, orderClause, resourceConflict, unknownApiKey,
  updatedResource,
} from "../records.js";
import { DOCUMENT_COLUMNS, DOCUMENTS_LISTED, RESOURCES_LISTED, rowMappers, type ListedTable, type Row } from "../rows.js";
import { pgDialect, pgSortExpr } from "./filters.js";
import { PG_MIGRATIONS } from "./migrations.js";

const { toResource, toDocument, toJob, toApiKey } = rowMappers({ json: (v) => v, int: (v) => Number(v) });

type Queryable = Pick<pg.Pool, "query"> | PoolClient;

/** Text search configuration used for indexing and queries. */
const TS_CONFIG = "english";
const HEADLINE_OPTIONS = "StartSel=<em>, StopSel=</em>, MaxWords=35, MinWords=15, ShortWord=2";
const UPSERT_CHUNK = 2000;

function pgCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown }).code;
  return typeof c === "string" ? c : undefined;
}

/** Runs a query, turning PostgreSQL's invalid-regex error into the filter error callers expect. */
async function run(db: Queryable, text: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> {
  try {
    return await db.query<Row>(text, values);
  } catch (e) {
    if (pgCode(e) === "2201B") throw new FilterSyntaxError(`invalid regex: ${(e as Error).message}`);
    throw e;
  }
}

async function inTransaction<T>(pool: pg.Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/**
 * Collection store on PostgreSQL (pg Pool). Tables live in `schema` (connections set `search_path`);
 * documents carry a generated, weighted `tsvector` (description A, other text B) with a GIN index.
 */
export class PostgresStore implements CollectionStore {
  readonly kind = "postgres" as const;
  readonly pool: pg.Pool;
  readonly resources: ResourceStore;
  readonly documents: DocumentStore;
  readonly apiKeys: ApiKeyStore;
  readonly jobs: LocalJobQueue;

  constructor(connectionString: string, readonly schema = "public", poolConfig: Omit<PoolConfig, "connectionString"> = {}) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new StoreInputError(`invalid schema name ${JSON.stringify(schema)}`);
    this.pool = new pg.Pool({ max: 10, ...poolConfig, connectionString, options: `-c search_path="${schema}"` });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on("error", () => undefined);
    this.resources = new PgResources(this.pool);
    this.documents = new PgDocuments(this.pool);
    this.apiKeys = new PgApiKeys(this.pool);
    this.jobs = new PgJobs(this.pool);
  }

  async migrate(): Promise<void> {
    const s = `"${this.schema}"`;
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new Error(`cannot connect to PostgreSQL at ${this.where()}: ${(e as Error).message}`, { cause: e });
    }
    client.release();
    await inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`scenecap-migrate:${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.scenecap_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`);
      const done = new Set((await c.query<{ version: number }>(`SELECT version FROM ${s}.scenecap_migrations`)).rows.map((r) => r.version));
      for (const m of PG_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await c.query(`SET LOCAL search_path = ${s}`);
        await c.query(m.sql);
        await c.query(`INSERT INTO ${s}.scenecap_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, nowIso()]);
      }
    });
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** host:port/database of the pool, without credentials, for error messages. */
  private where(): string {
    const o = this.pool.options;
    try {
      const u = new URL(o.connectionString ?? "");
      return `${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      return "the configured server";
    }
  }
}

function conflict(kind: string, rec: ResourceRecord, e: unknown): StoreConflictError {
  return resourceConflict(kind, rec, (e as { constraint?: string }).constraint === "resources_kind_ns_name");
}

/** Column sorts compare bytes (`COLLATE "C"`), as SQLite's default BINARY collation does. */
function orderBy(query: ListQuery, dataCol: string, columns: Record<string, string>, seqCol: string, params: PgParams): string {
  return orderClause(query, seqCol, (path, field) => {
    const expr = pgSortExpr(path, dataCol, columns, params);
    return columns[field] ? `${expr} COLLATE "C"` : expr;
  });
}

/**
 * One page of `t`'s rows matching `where` (already holding `params`) and the query's filters, in the
 * query's order, with the total number of matching rows (both queries run in parallel).
 */
async function listRows(
  pool: pg.Pool, t: ListedTable, where: string[], params: PgParams, query: ListQuery, limit: number, offset: number,
): Promise<{ rows: Row[]; total: number }> {
  where.push(compileFilter(query.filters, pgDialect(t.jsonCol, t.filterColumns), params));
  const countValues = params.values.slice();
  const order = orderBy(query, t.jsonCol, t.sortColumns, `${t.alias}.seq`, params);
  const from = `${t.table} ${t.alias}`;
  const whereSql = where.join(" AND ");
  const [count, page] = await Promise.all([
    run(pool, `SELECT count(*) AS n FROM ${from} WHERE ${whereSql}`, countValues),
    run(pool, `SELECT ${t.alias}.* FROM ${from} WHERE ${whereSql} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params.values),
  ]);
  return { rows: page.rows, total: Number(count.rows[0]?.n ?? 0) };
}

class PgResources implements ResourceStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(kind: ResourceKind, record: ResourceRecord): Promise<ResourceRecord> {
    checkKind(kind);
    const rec = newResource(record);
    try {
      await this.pool.query(
        `INSERT INTO resources (kind, id, namespace_id, name, created_at, updated_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
        [kind, rec.id, rec.namespace_id, rec.name, rec.created_at, rec.updated_at, JSON.stringify(rec.data)],
      );
    } catch (e) {
      if (pgCode(e) === "23505") throw conflict(kind, rec, e);
      throw e;
    }
    return rec;
  }

  async get(kind: ResourceKind, namespaceId: string | null, idOrName: string): Promise<ResourceRecord | null> {
    checkKind(kind);
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM resources WHERE kind = $1 AND namespace_id IS NOT DISTINCT FROM $2::text AND (id = $3 OR name = $3)
       ORDER BY (id = $3) DESC LIMIT 1`,
      [kind, namespaceId, idOrName],
    );
    return rows[0] ? toResource(rows[0]) : null;
  }

  async list(kind: ResourceKind, namespaceId: string | null, query: ListQuery): Promise<Page<ResourceRecord>> {
    checkKind(kind);
    const { limit, offset } = pageParams(query);
    const params = new PgParams();
    const where = [`r.kind = ${params.add(kind)}`, `r.namespace_id IS NOT DISTINCT FROM ${params.add(namespaceId)}::text`];
    if (query.search) where.push(`strpos(lower(coalesce(r.name, '')), lower(${params.add(query.search)}::text)) > 0`);
    const { rows, total } = await listRows(this.pool, RESOURCES_LISTED, where, params, query, limit, offset);
    return { items: rows.map(toResource), total };
  }

  async update(
    kind: ResourceKind,
    namespaceId: string | null,
    id: string,
    fn: (current: ResourceRecord) => { data: Record<string, unknown>; name?: string | null },
  ): Promise<ResourceRecord | null> {
    checkKind(kind);
    return inTransaction(this.pool, async (c) => {
      const { rows } = await c.query<Row>(
        `SELECT * FROM resources WHERE kind = $1 AND namespace_id IS NOT DISTINCT FROM $2::text AND id = $3 FOR UPDATE`,
        [kind, namespaceId, id],
      );
      if (!rows[0]) return null;
      const current = toResource(rows[0]);
      const rec = updatedResource(current, fn);
      try {
        await c.query(`UPDATE resources SET name = $1, data = $2::jsonb, updated_at = $3 WHERE kind = $4 AND id = $5`, [
          rec.name, JSON.stringify(rec.data), rec.updated_at, kind, id,
        ]);
      } catch (e) {
        if (pgCode(e) === "23505") throw conflict(kind, rec, e);
        throw e;
      }
      return rec;
    });
  }

  async delete(kind: ResourceKind, namespaceId: string | null, id: string): Promise<boolean> {
    checkKind(kind);
    const r = await this.pool.query(`DELETE FROM resources WHERE kind = $1 AND namespace_id IS NOT DISTINCT FROM $2::text AND id = $3`, [
      kind, namespaceId, id,
    ]);
    return (r.rowCount ?? 0) > 0;
  }
}

class PgDocuments implements DocumentStore {
  constructor(private readonly pool: pg.Pool) {}

  async upsert(docs: StoredDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const now = nowIso();
    // Last write wins inside one call (ON CONFLICT cannot touch a row twice in one statement).
    const byKey = new Map<string, StoredDocument>();
    for (const d of docs) {
      checkDocumentKeys(d);
      byKey.set(JSON.stringify([d.namespace_id, d.collection_id, d.document_id]), d);
    }
    const all = [...byKey.values()];
    await inTransaction(this.pool, async (c) => {
      for (let i = 0; i < all.length; i += UPSERT_CHUNK) {
        const chunk = all.slice(i, i + UPSERT_CHUNK);
        const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
        for (const d of chunk) {
          const fields = d.fields ?? {};
          const text = documentText(fields);
          const vals = [
            d.namespace_id, d.collection_id, d.document_id, d.object_id ?? null, d.created_at ?? now, d.updated_at ?? now,
            JSON.stringify(fields), text.description, text.body,
          ];
          vals.forEach((v, j) => cols[j]!.push(v));
        }
        await c.query(
          `INSERT INTO documents (namespace_id, collection_id, document_id, object_id, created_at, updated_at, fields, description, body)
           SELECT ns, col, doc, obj, ca, ua, f::jsonb, de, bo
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
                AS t(ns, col, doc, obj, ca, ua, f, de, bo)
           ON CONFLICT (namespace_id, collection_id, document_id) DO UPDATE SET
             object_id = excluded.object_id, updated_at = excluded.updated_at, fields = excluded.fields,
             description = excluded.description, body = excluded.body`,
          cols,
        );
      }
    });
  }

  async get(namespaceId: string, collectionId: string, documentId: string): Promise<StoredDocument | null> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM documents WHERE namespace_id = $1 AND collection_id = $2 AND document_id = $3`,
      [namespaceId, collectionId, documentId],
    );
    return rows[0] ? toDocument(rows[0]) : null;
  }

  async list(namespaceId: string, collectionId: string, query: ListQuery): Promise<Page<StoredDocument>> {
    const { limit, offset } = pageParams(query);
    const params = new PgParams();
    const where = [`d.namespace_id = ${params.add(namespaceId)}`, `d.collection_id = ${params.add(collectionId)}`];
    if (query.search !== undefined && query.search !== "") {
      const terms = searchTerms(query.search);
      if (terms.length === 0) return { items: [], total: 0 };
      where.push(`d.tsv @@ plainto_tsquery('${TS_CONFIG}', ${params.add(terms.join(" "))}::text)`);
    }
    const { rows, total } = await listRows(this.pool, DOCUMENTS_LISTED, where, params, query, limit, offset);
    return { items: rows.map(toDocument), total };
  }

  async delete(namespaceId: string, collectionId: string, documentId: string): Promise<boolean> {
    const r = await this.pool.query(`DELETE FROM documents WHERE namespace_id = $1 AND collection_id = $2 AND document_id = $3`, [
      namespaceId, collectionId, documentId,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async deleteByCollection(namespaceId: string, collectionId: string): Promise<number> {
    const r = await this.pool.query(`DELETE FROM documents WHERE namespace_id = $1 AND collection_id = $2`, [namespaceId, collectionId]);
    return r.rowCount ?? 0;
  }

  async count(namespaceId: string, collectionId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM documents WHERE namespace_id = $1 AND collection_id = $2`,
      [namespaceId, collectionId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async search(query: SearchQuery): Promise<Page<SearchHit>> {
    const { limit, offset } = pageParams(query);
    const terms = searchTerms(query.text ?? "");
    if (terms.length === 0 || query.collection_ids.length === 0) return { items: [], total: 0 };
    const params = new PgParams();
    const q = `plainto_tsquery('${TS_CONFIG}', ${params.add(terms.join(" "))}::text)`;
    const where = [
      `d.tsv @@ q.q`,
      `d.namespace_id = ${params.add(query.namespace_id)}`,
      `d.collection_id = ANY(${params.add(query.collection_ids)}::text[])`,
      compileFilter(query.filters, pgDialect("d.fields", DOCUMENT_COLUMNS), params),
    ];
    if (descriptionOnly(query.fields)) where.push(`ts_filter(d.tsv, '{a}') @@ q.q`);
    const whereSql = where.join(" AND ");
    const { rows } = await run(
      this.pool,
      `WITH q AS (SELECT ${q} AS q),
       page AS (
         SELECT d.*, ts_rank_cd(d.tsv, q.q, 1) AS score FROM documents d, q WHERE ${whereSql}
         ORDER BY score DESC, d.seq ASC LIMIT ${limit} OFFSET ${offset})
       SELECT page.*,
         CASE WHEN to_tsvector('${TS_CONFIG}', page.description) @@ q.q
              THEN ts_headline('${TS_CONFIG}', page.description, q.q, '${HEADLINE_OPTIONS}')
              ELSE ts_headline('${TS_CONFIG}', page.body, q.q, '${HEADLINE_OPTIONS}') END AS highlight
       FROM page, q ORDER BY page.score DESC, page.seq ASC`,
      params.values,
    );
    let total: number;
    if (offset === 0 && rows.length < limit) total = rows.length;
    else {
      const c = await run(this.pool, `WITH q AS (SELECT ${q} AS q) SELECT count(*) AS n FROM documents d, q WHERE ${whereSql}`, params.values);
      total = Number(c.rows[0]?.n ?? 0);
    }
    return {
      items: rows.map((r) => ({ document: toDocument(r), score: Number(r.score), highlight: (r.highlight as string | null) ?? "" })),
      total,
    };
  }
}

class PgApiKeys implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const rec = newApiKey(record);
    try {
      await this.pool.query(`INSERT INTO api_keys (key_id, key_hash, name, default_namespace_id, created_at) VALUES ($1, $2, $3, $4, $5)`, [
        rec.key_id, rec.key_hash, rec.name, rec.default_namespace_id, rec.created_at,
      ]);
    } catch (e) {
      if (pgCode(e) === "23505") throw apiKeyConflict(String((e as { constraint?: string }).constraint ?? ""));
      throw e;
    }
    if (rec.default_namespace_id) await this.grant(rec.key_id, rec.default_namespace_id);
    return rec;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM api_keys WHERE key_hash = $1`, [keyHash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async setDefaultNamespace(keyId: string, namespaceId: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const r = await c.query(`UPDATE api_keys SET default_namespace_id = $1 WHERE key_id = $2`, [namespaceId, keyId]);
      if ((r.rowCount ?? 0) === 0) throw unknownApiKey(keyId);
      await c.query(`INSERT INTO api_key_grants (key_id, namespace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [keyId, namespaceId]);
    });
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM api_keys ORDER BY created_at, key_id`);
    return rows.map(toApiKey);
  }

  async grant(keyId: string, namespaceId: string): Promise<void> {
    try {
      await this.pool.query(`INSERT INTO api_key_grants (key_id, namespace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [keyId, namespaceId]);
    } catch (e) {
      if (pgCode(e) === "23503") throw unknownApiKey(keyId);
      throw e;
    }
  }

  async canAccess(keyId: string, namespaceId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM api_key_grants WHERE key_id = $1 AND namespace_id = $2`, [keyId, namespaceId]);
    return (rowCount ?? 0) > 0;
  }
}

class PgJobs implements LocalJobQueue {
  constructor(private readonly pool: pg.Pool) {}

  async enqueue(job: { id: string; name: string; payload: unknown; max_attempts: number }): Promise<void> {
    const maxAttempts = jobMaxAttempts(job);
    const now = nowIso();
    await this.pool.query(
      `INSERT INTO jobs (id, name, payload, state, attempts_made, max_attempts, run_at, created_at, updated_at)
       VALUES ($1, $2, $3::jsonb, 'waiting', 0, $4, $5, $5, $5) ON CONFLICT (id) DO NOTHING`,
      [job.id, job.name, JSON.stringify(job.payload ?? null), maxAttempts, now],
    );
  }

  async claim(leaseMs: number): Promise<LocalJob | null> {
    const now = nowIso();
    const until = leaseUntil(leaseMs);
    const { rows } = await this.pool.query<Row>(
      `WITH next AS (
         SELECT seq FROM jobs
         WHERE (state = 'waiting' AND run_at <= $1) OR (state = 'active' AND lease_until <= $1 AND attempts_made < max_attempts)
         ORDER BY run_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE jobs j SET state = 'active', lease_until = $2, attempts_made = j.attempts_made + 1, updated_at = $1
       FROM next WHERE j.seq = next.seq RETURNING j.*`,
      [now, until],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async reapExpired(): Promise<LocalJob[]> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE jobs SET state = 'failed', lease_until = NULL, updated_at = $1,
         last_error = coalesce(last_error || '; ', '') || '${LEASE_EXPIRED}'
       WHERE state = 'active' AND lease_until <= $1 AND attempts_made >= max_attempts
       RETURNING *`,
      [nowIso()],
    );
    return rows.map(toJob);
  }

  async extendLease(id: string, leaseMs: number): Promise<void> {
    const until = leaseUntil(leaseMs);
    await this.pool.query(`UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND state = 'active'`, [until, nowIso(), id]);
  }

  async complete(id: string): Promise<void> {
    await this.pool.query(`UPDATE jobs SET state = 'completed', lease_until = NULL, updated_at = $1 WHERE id = $2`, [nowIso(), id]);
  }

  async fail(id: string, error: string, retryAt: Date | null): Promise<void> {
    const now = nowIso();
    if (retryAt) {
      await this.pool.query(
        `UPDATE jobs SET state = 'waiting', run_at = $1, lease_until = NULL, last_error = $2, updated_at = $3 WHERE id = $4`,
        [retryAt.toISOString(), error, now, id],
      );
    } else {
      await this.pool.query(`UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3`, [
        error, now, id,
      ]);
    }
  }

  async counts(): Promise<Record<LocalJob["state"], number>> {
    const out: Record<LocalJob["state"], number> = { waiting: 0, active: 0, completed: 0, failed: 0 };
    const { rows } = await this.pool.query<{ state: LocalJob["state"]; n: string }>(`SELECT state, count(*) AS n FROM jobs GROUP BY state`);
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }
}
