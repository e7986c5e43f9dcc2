-- Models as rows (issue 5): a model file becomes a model, its layers and tensors (with
-- statistics), content-addressed chunks of the tensor bytes shared across models, one vector per
-- output neuron, and its vocabulary. Idempotent: safe to apply to a database that already has it.
--
-- Writes happen in one transaction per model (hartonomous.models.ingest): the models row is
-- inserted last, with every total known, so the foreign keys to it are deferred.

CREATE TABLE IF NOT EXISTS models (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (name <> ''),
    format           text NOT NULL,              -- safetensors | gguf | onnx | torch
    architecture     text,                       -- config architectures[0] / model_type / general.architecture
    family           text,                       -- naming scheme of the tensors: bert | gpt2 | llama | gguf | generic
    config           jsonb,                      -- config.json (Hugging Face) when known
    file_hash        text NOT NULL,              -- BLAKE3 of the weights file, hex
    hash_algorithm   text NOT NULL DEFAULT 'blake3',
    bytes            bigint NOT NULL CHECK (bytes >= 0),            -- size of the weights file
    tensor_bytes     bigint NOT NULL CHECK (tensor_bytes >= 0),     -- sum of the stored tensor bytes
    parameter_count  bigint NOT NULL CHECK (parameter_count >= 0),  -- elements of the float/quantized tensors
    tensor_count     integer NOT NULL CHECK (tensor_count >= 0),
    layer_count      integer NOT NULL CHECK (layer_count >= 0),
    chunk_count      integer NOT NULL CHECK (chunk_count >= 0),     -- chunk references of this model
    new_chunk_bytes  bigint NOT NULL CHECK (new_chunk_bytes >= 0),  -- chunk bytes this model added; the rest was stored already
    parent_id        bigint REFERENCES models (id) ON DELETE SET NULL,
    derivation       text,                       -- how it derives from its parent: fine-tune, extract, quantize...
    source_uri       text,
    chunking         jsonb NOT NULL,             -- {"strategy": "rows", "max_bytes": 65536, "hash": "blake3"}
    weight_rows_note jsonb NOT NULL DEFAULT '{}'::jsonb,  -- which 2-D tensors have weight_rows, which were sampled or skipped, and why
    metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- format-specific (small): safetensors __metadata__, GGUF scalar keys, ONNX opsets...
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX IF NOT EXISTS models_file_hash ON models (file_hash);
CREATE INDEX IF NOT EXISTS models_parent ON models (parent_id);

-- Layers parsed from tensor names (encoder.layer.N, h.N, model.layers.N, blk.N, layers.N...).
CREATE TABLE IF NOT EXISTS layers (
    id          bigserial PRIMARY KEY,
    model_id    bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    layer_index integer NOT NULL CHECK (layer_index >= 0),
    name        text NOT NULL,
    UNIQUE (model_id, name)
);
CREATE INDEX IF NOT EXISTS layers_model_index ON layers (model_id, layer_index);

-- One row per stored tensor, in file order. Statistics are over the finite values (dequantized
-- for block-quantized types); importance is the magnitude criterion mean(|w|).
-- role names what the tensor does where the naming scheme tells it: q, k, v, o, qkv (attention
-- projections), ffn_up, ffn_gate, ffn_down, token_embedding, position_embedding, lm_head.
CREATE TABLE IF NOT EXISTS tensors (
    id           bigserial PRIMARY KEY,
    model_id     bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    layer_id     bigint REFERENCES layers (id) ON DELETE CASCADE,
    ordinal      integer NOT NULL CHECK (ordinal >= 0),
    name         text NOT NULL,
    component    text NOT NULL,              -- attention | ffn | norm | embedding | head | other
    role         text,
    part         text NOT NULL,              -- name inside the layer, e.g. attention.self.query
    param        text NOT NULL,              -- weight | bias | ...
    dtype        text NOT NULL,              -- F32, F16, BF16, I64, ... or a GGUF block type (Q8_0, Q4_0, Q4_K...)
    shape        integer[] NOT NULL,         -- row-major: shape[1] is the number of output neurons of a 2-D weight
    numel        bigint NOT NULL CHECK (numel >= 0),
    nbytes       bigint NOT NULL CHECK (nbytes >= 0),
    quant_type   text,
    block_size   integer,
    block_bytes  integer,
    mean         double precision,
    std          double precision,
    min          double precision,
    max          double precision,
    l2           double precision,
    nonfinite    bigint NOT NULL DEFAULT 0,
    importance   double precision,
    content_hash text NOT NULL,              -- BLAKE3 of the tensor's stored bytes, hex
    UNIQUE (model_id, name),
    UNIQUE (model_id, ordinal)
);
CREATE INDEX IF NOT EXISTS tensors_content_hash ON tensors (content_hash);
CREATE INDEX IF NOT EXISTS tensors_layer ON tensors (layer_id);
CREATE INDEX IF NOT EXISTS tensors_role ON tensors (model_id, role) WHERE role IS NOT NULL;

-- Content-addressed bytes, stored once whatever the number of models using them. Float weights
-- do not compress: the bytes are stored out of line without trying to (STORAGE EXTERNAL).
CREATE TABLE IF NOT EXISTS chunks (
    hash   text PRIMARY KEY,                 -- BLAKE3 of bytes, hex
    length integer NOT NULL CHECK (length > 0),
    bytes  bytea NOT NULL
);
ALTER TABLE chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- The chunks of a tensor in order; byte_offset is where the chunk starts inside the tensor.
CREATE TABLE IF NOT EXISTS tensor_chunks (
    tensor_id   bigint NOT NULL REFERENCES tensors (id) ON DELETE CASCADE,
    ordinal     integer NOT NULL CHECK (ordinal >= 0),
    chunk_hash  text NOT NULL REFERENCES chunks (hash),
    byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
    PRIMARY KEY (tensor_id, ordinal)
);
CREATE INDEX IF NOT EXISTS tensor_chunks_chunk ON tensor_chunks (chunk_hash);

-- One vector per output neuron (row) of a 2-D float or quantized tensor, keyed by the tensor's
-- content hash: a tensor shared by several models has its rows stored once. The vector column
-- is untyped so widths vary; compare rows of one width (WHERE dim = ...). importance is the
-- row's L2 norm over the mean row norm of its tensor (1.0 = an average neuron of that tensor).
-- Tensors wider than the configured maximum, or with more rows, are skipped or sampled: the
-- model's weight_rows_note says which. Vectors up to 8 KB stay inline (no TOAST lookups).
CREATE TABLE IF NOT EXISTS weight_rows (
    content_hash text NOT NULL,
    row_index    integer NOT NULL CHECK (row_index >= 0),
    dim          integer NOT NULL CHECK (dim BETWEEN 1 AND 16000),
    weights      vector NOT NULL,
    norm         real NOT NULL,
    importance   real NOT NULL,
    PRIMARY KEY (content_hash, row_index)
);
CREATE INDEX IF NOT EXISTS weight_rows_dim ON weight_rows (dim);
ALTER TABLE weight_rows ALTER COLUMN weights SET STORAGE MAIN;
ALTER TABLE weight_rows SET (toast_tuple_target = 8160);

-- The vocabulary: token strings by id (from tokenizer.json / vocab.txt / GGUF metadata).
-- Bytes that are not UTF-8 are shown backslash-escaped (\xNN).
CREATE TABLE IF NOT EXISTS vocab_tokens (
    model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    token_id integer NOT NULL CHECK (token_id >= 0),
    token    text NOT NULL,
    PRIMARY KEY (model_id, token_id)
);
CREATE INDEX IF NOT EXISTS vocab_tokens_token ON vocab_tokens (model_id, token);

-- Tokens with their embedding rows: the row token_id of the model's token-embedding tensor, as
-- stored in weight_rows (all its rows are kept, never sampled; NULL when it is wider than allowed).
CREATE OR REPLACE VIEW vocab AS
SELECT k.model_id, k.token_id, k.token, w.weights AS embedding
FROM vocab_tokens k
LEFT JOIN tensors t ON t.model_id = k.model_id AND t.role = 'token_embedding'
LEFT JOIN weight_rows w ON w.content_hash = t.content_hash AND w.row_index = k.token_id;

-- Every neuron with the model and tensor it belongs to (a shared tensor lists each model).
CREATE OR REPLACE VIEW neurons AS
SELECT t.model_id, t.id AS tensor_id, t.name AS tensor, t.layer_id, t.component, t.role,
       w.row_index, w.dim, w.weights, w.norm, w.importance
FROM tensors t
JOIN weight_rows w ON w.content_hash = t.content_hash;

-- Files that travel with a model and are exported beside it: config.json, tokenizer files,
-- sentence-transformers' modules.json and 1_Pooling/config.json (kind 'sidecar', by relative
-- path), and the full typed GGUF key/values (kind 'metadata', gguf_kvs.json) so that a GGUF
-- export restores them.
CREATE TABLE IF NOT EXISTS model_files (
    model_id     bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    path         text NOT NULL CHECK (path <> ''),
    kind         text NOT NULL CHECK (kind IN ('sidecar', 'metadata')),
    content      bytea NOT NULL,
    content_hash text NOT NULL,
    PRIMARY KEY (model_id, path)
);

-- The embedder's own encoder, stored as a model (embedders comes with migration 010).
DO $$
BEGIN
    IF to_regclass('embedders') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_constraint WHERE conname = 'embedders_model_id_fkey'
    ) THEN
        ALTER TABLE embedders ADD CONSTRAINT embedders_model_id_fkey
            FOREIGN KEY (model_id) REFERENCES models (id) ON DELETE SET NULL;
    END IF;
END $$;

-- An HNSW (cosine) index over the weight rows of one width, built on request (not at ingest):
-- SELECT ensure_weight_rows_index(384); then ORDER BY weights::vector(384) <=> $1 WHERE dim = 384.
-- pgvector indexes up to 2000 dimensions.
CREATE OR REPLACE FUNCTION ensure_weight_rows_index(p_dim integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    index_name text := 'weight_rows_hnsw_d' || p_dim::text;
BEGIN
    IF p_dim IS NULL OR p_dim < 1 OR p_dim > 2000 THEN
        RAISE EXCEPTION 'HNSW indexes take 1 to 2000 dimensions, not %', p_dim;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON weight_rows USING hnsw ((weights::vector(%s)) vector_cosine_ops) WHERE dim = %s',
        index_name, p_dim, p_dim);
    RETURN index_name;
END $$;
