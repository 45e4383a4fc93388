import type { LogicalOperator, TaskStatus } from "@scenecap/protocol";

/**
 * The collection store interface. Two adapters implement it (SQLite, PostgreSQL) and one contract
 * test suite runs against both. All methods are namespace-scoped: a record of another namespace is
 * never returned, updated or deleted.
 *
 * Resources (namespaces, buckets, objects, collections, batches, tasks, retrievers) are stored as JSON
 * records keyed by id, with `name` unique per (kind, namespace) when set, so the server can evolve the
 * wire shapes without migrations. Documents have their own table with a full-text index.
 */

/** Namespaces and published retrievers are global (namespace_id null); the rest belong to a namespace. */
export type ResourceKind = "namespace" | "bucket" | "object" | "collection" | "batch" | "task" | "retriever" | "published_retriever";

/** A stored resource. `id` is the public id (`ns_…`, `bkt_…`, task UUID…); the rest is the wire shape. */
export interface ResourceRecord {
  id: string;
  /** null for the global kinds: "namespace" (keys scope access to them) and "published_retriever". */
  namespace_id: string | null;
  /** Human name (namespace_name, bucket_name, collection_name, retriever_name); unique per kind+namespace. */
  name?: string | null;
  created_at: string; // ISO-8601
  updated_at: string; // ISO-8601
  data: Record<string, unknown>;
}

export interface SortSpec {
  field: string; // dotted path into data, or "created_at" / "updated_at" / "name"
  direction: "asc" | "desc";
}

export interface ListQuery {
  /** Mixpeek filter tree over `data` fields (dotted paths). */
  filters?: LogicalOperator;
  sort?: SortSpec;
  /** Case-insensitive substring match on name. */
  search?: string;
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ResourceStore {
  /** Insert; throws `StoreConflictError` when (kind, namespace, name) or id already exists. */
  create(kind: ResourceKind, record: ResourceRecord): Promise<ResourceRecord>;
  /** By id, or by name when no id matches. */
  get(kind: ResourceKind, namespaceId: string | null, idOrName: string): Promise<ResourceRecord | null>;
  list(kind: ResourceKind, namespaceId: string | null, query: ListQuery): Promise<Page<ResourceRecord>>;
  /**
   * Atomic read-modify-write (row lock / immediate transaction): `fn` gets the current record and returns
   * the new `data` (and optionally a new name). Safe under concurrent writers in several processes.
   * Returns null when the record does not exist.
   */
  update(
    kind: ResourceKind,
    namespaceId: string | null,
    id: string,
    fn: (current: ResourceRecord) => { data: Record<string, unknown>; name?: string | null },
  ): Promise<ResourceRecord | null>;
  delete(kind: ResourceKind, namespaceId: string | null, id: string): Promise<boolean>;
}

/** A collection document: extractor/user fields at the root, system fields under `_internal`. */
export interface StoredDocument {
  document_id: string;
  collection_id: string;
  namespace_id: string;
  /** Root object this document came from (lineage), if any. */
  object_id?: string | null;
  /** Everything else of the wire document (root fields and `_internal`). */
  fields: Record<string, unknown>;
  created_at?: string;
  updated_at?: string;
}

export interface SearchQuery {
  namespace_id: string;
  collection_ids: string[];
  /** Free text; matched with the backend's full-text engine (FTS5 bm25 / tsvector ts_rank_cd). */
  text: string;
  /** Root fields whose text is searched; default: the indexed text (`description` and other string fields). */
  fields?: string[];
  filters?: LogicalOperator;
  limit: number;
  offset: number;
}

export interface SearchHit {
  document: StoredDocument;
  /** Higher is better (bm25 is negated so both backends agree on direction). */
  score: number;
  /** Snippet of the matched text with matches wrapped in `<em>…</em>`. */
  highlight: string;
}

export interface DocumentStore {
  /** Upsert by (namespace_id, collection_id, document_id); a rewrite replaces fields and the text index. */
  upsert(docs: StoredDocument[]): Promise<void>;
  get(namespaceId: string, collectionId: string, documentId: string): Promise<StoredDocument | null>;
  list(namespaceId: string, collectionId: string, query: ListQuery): Promise<Page<StoredDocument>>;
  delete(namespaceId: string, collectionId: string, documentId: string): Promise<boolean>;
  /** Deletes every document of the collection (collection delete). Returns how many. */
  deleteByCollection(namespaceId: string, collectionId: string): Promise<number>;
  count(namespaceId: string, collectionId: string): Promise<number>;
  search(query: SearchQuery): Promise<Page<SearchHit>>;
}

export interface ApiKeyRecord {
  key_id: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  key_hash: string;
  name: string;
  /** Namespace used when a request has no X-Namespace; created on first use. */
  default_namespace_id: string | null;
  created_at: string;
}

export interface ApiKeyStore {
  create(record: ApiKeyRecord): Promise<ApiKeyRecord>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  setDefaultNamespace(keyId: string, namespaceId: string): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Namespaces this key may use (those it created or was granted); a key never sees others. */
  grant(keyId: string, namespaceId: string): Promise<void>;
  canAccess(keyId: string, namespaceId: string): Promise<boolean>;
}

/**
 * Durable local job queue for embedded mode (no Redis): jobs survive a restart, and a job whose
 * lease expired (its process died) is handed out again.
 */
export interface LocalJob {
  id: string; // deterministic; enqueueing an existing id is a no-op
  name: string;
  payload: unknown;
  state: "waiting" | "active" | "completed" | "failed";
  attempts_made: number;
  max_attempts: number;
  run_at: string; // ISO; not handed out before
  lease_until: string | null;
  last_error: string | null;
}

export interface LocalJobQueue {
  enqueue(job: { id: string; name: string; payload: unknown; max_attempts: number }): Promise<void>;
  /** Claims the next runnable job (waiting and due, or active with an expired lease and attempts left) for `leaseMs`. */
  claim(leaseMs: number): Promise<LocalJob | null>;
  /**
   * Fails, for good, the jobs whose lease ran out on their last allowed attempt (their process died every
   * time) and returns them, so the caller can record the failure wherever the job would have.
   */
  reapExpired(): Promise<LocalJob[]>;
  extendLease(id: string, leaseMs: number): Promise<void>;
  complete(id: string): Promise<void>;
  /** retryAt: schedule another attempt; null: mark failed for good. */
  fail(id: string, error: string, retryAt: Date | null): Promise<void>;
  counts(): Promise<Record<LocalJob["state"], number>>;
}

export interface CollectionStore {
  readonly kind: "sqlite" | "postgres";
  resources: ResourceStore;
  documents: DocumentStore;
  apiKeys: ApiKeyStore;
  jobs: LocalJobQueue;
  /** Applies pending migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type { TaskStatus };

/**
 * Files (uploaded blobs, thumbnails) on local disk under one directory, addressed by key
 * (e.g. `uploads/obj_x/video.mp4`, `thumbnails/col_x/doc_y.jpg`). Documents reference them as
 * `blob://<key>`; the server turns that into a signed URL on read.
 */
export interface BlobStore {
  readonly root: string;
  put(key: string, data: Buffer | NodeJS.ReadableStream): Promise<{ key: string; size_bytes: number; sha256: string }>;
  get(key: string): Promise<Buffer>;
  /** Absolute path on disk (for ffmpeg); throws when the key does not exist. */
  path(key: string): Promise<string>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}
