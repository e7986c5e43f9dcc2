-- Core: extensions, jobs and the query-side audit log.
CREATE EXTENSION IF NOT EXISTS vector;

-- Work items of the consumers (embedding, decomposition, ...): status, attempts, last error.
CREATE TABLE IF NOT EXISTS jobs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,                 -- 'embed' | 'decompose' | ...
    natural_key  text NOT NULL,                 -- e.g. document id + embedder, or a file hash
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    event_id     text,                          -- the CloudEvent that asked for it
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, natural_key)
);

-- Every query-side operation (search, embed, generate, extract) logs itself here;
-- CDC carries these rows into the provenance graph.
CREATE TABLE IF NOT EXISTS inference_requests (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('search', 'embed', 'generate', 'extract')),
    inputs       jsonb NOT NULL DEFAULT '{}'::jsonb,
    models       text[] NOT NULL DEFAULT '{}',
    result_ids   text[] NOT NULL DEFAULT '{}',
    results      jsonb NOT NULL DEFAULT '{}'::jsonb,
    duration_ms  double precision,
    requested_by text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inference_requests_created_at ON inference_requests (created_at);
