/**
 * Numbered PostgreSQL migrations, applied in the store's schema (`search_path`). Text search uses the
 * `english` configuration (stemming + stop words), matching SQLite's porter tokenizer and the stop words
 * dropped from queries on both backends.
 */
export const PG_MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: "resources, documents with tsvector, api keys, local job queue",
    sql: `
CREATE TABLE resources (
  seq          bigserial PRIMARY KEY,
  kind         text NOT NULL,
  id           text NOT NULL,
  namespace_id text,
  name         text,
  created_at   text NOT NULL,
  updated_at   text NOT NULL,
  data         jsonb NOT NULL,
  UNIQUE (kind, id)
);
CREATE UNIQUE INDEX resources_kind_ns_name ON resources (kind, coalesce(namespace_id, ''), name) WHERE name IS NOT NULL;
CREATE INDEX resources_kind_ns_created ON resources (kind, namespace_id, created_at);

CREATE TABLE documents (
  seq           bigserial PRIMARY KEY,
  namespace_id  text NOT NULL,
  collection_id text NOT NULL,
  document_id   text NOT NULL,
  object_id     text,
  created_at    text NOT NULL,
  updated_at    text NOT NULL,
  fields        jsonb NOT NULL,
  description   text NOT NULL DEFAULT '',
  body          text NOT NULL DEFAULT '',
  tsv           tsvector GENERATED ALWAYS AS (
                  setweight(to_tsvector('english'::regconfig, description), 'A') ||
                  setweight(to_tsvector('english'::regconfig, body), 'B')) STORED,
  UNIQUE (namespace_id, collection_id, document_id)
);
CREATE INDEX documents_tsv ON documents USING gin (tsv);
CREATE INDEX documents_object ON documents (namespace_id, object_id);

CREATE TABLE api_keys (
  key_id               text PRIMARY KEY,
  key_hash             text NOT NULL UNIQUE,
  name                 text NOT NULL,
  default_namespace_id text,
  created_at           text NOT NULL
);
CREATE TABLE api_key_grants (
  key_id       text NOT NULL REFERENCES api_keys (key_id) ON DELETE CASCADE,
  namespace_id text NOT NULL,
  PRIMARY KEY (key_id, namespace_id)
);

CREATE TABLE jobs (
  seq           bigserial PRIMARY KEY,
  id            text NOT NULL UNIQUE,
  name          text NOT NULL,
  payload       jsonb NOT NULL,
  state         text NOT NULL CHECK (state IN ('waiting','active','completed','failed')),
  attempts_made integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL,
  run_at        text NOT NULL,
  lease_until   text,
  last_error    text,
  created_at    text NOT NULL,
  updated_at    text NOT NULL
);
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
`,
  },
];
