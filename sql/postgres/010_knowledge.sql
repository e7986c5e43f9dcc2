-- Knowledge: documents (chunks of ingested text), the embedders, and one embedding per
-- (document, embedder). Idempotent: safe to apply to a database that already has it.

-- A chunk of text. content_hash is the hex SHA-256 of the UTF-8 content, always set by the
-- trigger below (a user's INSERT or UPDATE of content cannot leave it stale), and unique:
-- the same text is stored once, so re-ingesting a file changes nothing.
CREATE TABLE IF NOT EXISTS documents (
    id           bigserial PRIMARY KEY,
    source_uri   text NOT NULL,
    title        text,
    content      text NOT NULL CHECK (content <> ''),
    content_hash text NOT NULL UNIQUE,
    category     text,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    chunk_index  integer NOT NULL DEFAULT 0 CHECK (chunk_index >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_source ON documents (source_uri, chunk_index);
CREATE INDEX IF NOT EXISTS documents_category ON documents (category);
CREATE INDEX IF NOT EXISTS documents_metadata ON documents USING gin (metadata jsonb_path_ops);

CREATE OR REPLACE FUNCTION documents_content_hash() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.content_hash := encode(sha256(convert_to(NEW.content, 'UTF8')), 'hex');
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS documents_content_hash ON documents;
CREATE TRIGGER documents_content_hash
    BEFORE INSERT OR UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_content_hash();

-- An encoder. model_id links to models(id) when the encoder itself is stored as rows
-- (models come with migration 02x; its foreign key is added there, not here).
-- projection_version counts the fitted 3-D projections (0: none yet); the fitted reducer is
-- persisted under the state directory as projections/<name>/v<version>.pkl.
CREATE TABLE IF NOT EXISTS embedders (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL UNIQUE,
    dimension            integer NOT NULL CHECK (dimension BETWEEN 1 AND 2000),
    model_id             bigint,
    model_source         text,
    normalized           boolean NOT NULL DEFAULT true,
    projection_version   integer NOT NULL DEFAULT 0,
    projection_params    jsonb NOT NULL DEFAULT '{}'::jsonb,
    projection_points    integer,
    projection_fitted_at timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- One embedding per (document, embedder). The vector column is untyped so embedders of
-- different dimensions share the table; each embedder gets its own partial HNSW index on
-- embedding::vector(<dimension>) (ensure_embedder_index below). content_hash is the hash of the
-- text the vector was computed from: equal to documents.content_hash means up to date.
-- projection is NULL until a projection has been fitted (hartonomous embeddings
-- refit-projection); projection_version says which fit produced it.
CREATE TABLE IF NOT EXISTS embeddings (
    id                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    document_id        bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    embedder_id        bigint NOT NULL REFERENCES embedders (id) ON DELETE CASCADE,
    content_hash       text NOT NULL,
    embedding          vector NOT NULL,
    projection         vector(3),
    projection_version integer,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (document_id, embedder_id)
);
CREATE INDEX IF NOT EXISTS embeddings_embedder ON embeddings (embedder_id);
CREATE INDEX IF NOT EXISTS embeddings_projection_pending
    ON embeddings (embedder_id) WHERE projection IS NULL;

-- The partial HNSW (cosine) index of one embedder, cast to its dimension. Identifiers are
-- built with format(%I) from the embedder's integer id, never from text a caller passes.
-- A query uses it with: WHERE embedder_id = <id> ORDER BY embedding::vector(<dim>) <=> $1
CREATE OR REPLACE FUNCTION ensure_embedder_index(p_embedder_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    dim integer;
    index_name text := 'embeddings_hnsw_e' || p_embedder_id::text;
BEGIN
    SELECT dimension INTO dim FROM embedders WHERE id = p_embedder_id;
    IF dim IS NULL THEN
        RAISE EXCEPTION 'no embedder with id %', p_embedder_id;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE embedder_id = %s',
        index_name, dim, p_embedder_id);
    RETURN index_name;
END $$;

-- What is waiting: documents without an up-to-date embedding, per embedder, and the job state.
CREATE OR REPLACE VIEW embedding_status AS
SELECT e.name AS embedder,
       count(d.id) AS documents,
       count(x.document_id) FILTER (WHERE x.content_hash = d.content_hash) AS embedded,
       count(d.id) FILTER (WHERE x.content_hash IS DISTINCT FROM d.content_hash) AS pending,
       count(x.document_id) FILTER (WHERE x.projection IS NULL) AS without_projection,
       e.projection_version
FROM embedders e
CROSS JOIN documents d
LEFT JOIN embeddings x ON x.document_id = d.id AND x.embedder_id = e.id
GROUP BY e.name, e.projection_version;
