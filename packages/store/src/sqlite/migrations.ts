/** Numbered SQLite migrations; each runs once, in order, inside its own immediate transaction. */
export const SQLITE_MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: "resources, documents with FTS5, api keys, local job queue",
    sql: `
CREATE TABLE resources (
  seq          INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  id           TEXT NOT NULL,
  namespace_id TEXT,
  name         TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  data         TEXT NOT NULL CHECK (json_valid(data)),
  UNIQUE (kind, id)
);
CREATE UNIQUE INDEX resources_kind_ns_name ON resources (kind, coalesce(namespace_id, ''), name) WHERE name IS NOT NULL;
CREATE INDEX resources_kind_ns_created ON resources (kind, namespace_id, created_at);

CREATE TABLE documents (
  seq           INTEGER PRIMARY KEY,
  namespace_id  TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  document_id   TEXT NOT NULL,
  object_id     TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  fields        TEXT NOT NULL CHECK (json_valid(fields)),
  description   TEXT NOT NULL DEFAULT '',
  body          TEXT NOT NULL DEFAULT '',
  UNIQUE (namespace_id, collection_id, document_id)
);
CREATE INDEX documents_object ON documents (namespace_id, object_id);

CREATE VIRTUAL TABLE documents_fts USING fts5(
  description, body,
  content='documents', content_rowid='seq',
  tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_ai AFTER INSERT ON documents BEGIN
  INSERT INTO documents_fts (rowid, description, body) VALUES (new.seq, new.description, new.body);
END;
CREATE TRIGGER documents_fts_ad AFTER DELETE ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, description, body) VALUES ('delete', old.seq, old.description, old.body);
END;
CREATE TRIGGER documents_fts_au AFTER UPDATE OF description, body ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, description, body) VALUES ('delete', old.seq, old.description, old.body);
  INSERT INTO documents_fts (rowid, description, body) VALUES (new.seq, new.description, new.body);
END;

CREATE TABLE api_keys (
  key_id               TEXT PRIMARY KEY,
  key_hash             TEXT NOT NULL UNIQUE,
  name                 TEXT NOT NULL,
  default_namespace_id TEXT,
  created_at           TEXT NOT NULL
);
CREATE TABLE api_key_grants (
  key_id       TEXT NOT NULL REFERENCES api_keys (key_id) ON DELETE CASCADE,
  namespace_id TEXT NOT NULL,
  PRIMARY KEY (key_id, namespace_id)
);

CREATE TABLE jobs (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  payload       TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('waiting','active','completed','failed')),
  attempts_made INTEGER NOT NULL DEFAULT 0,
  max_attempts  INTEGER NOT NULL,
  run_at        TEXT NOT NULL,
  lease_until   TEXT,
  last_error    TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
`,
  },
];
