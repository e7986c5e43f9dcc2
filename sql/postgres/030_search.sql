-- Search as SQL functions: exact, approximate (HNSW), hybrid (3-D projection prefilter + exact
-- rerank), ensemble fusion, and the query-side audit log. Idempotent (CREATE OR REPLACE).
--
-- Every search function takes the embedder by name and the query vector, and returns
-- (document_id, score, distance) best first: score = cosine similarity, distance = cosine
-- distance (1 - score). Filters: p_category (documents.category equals) and p_metadata
-- (documents.metadata @> p_metadata). Ties are broken by document id so results are stable.
--
--   SELECT * FROM search_exact('all-MiniLM-L6-v2', '[...]'::vector, 10);
--   SELECT * FROM search_ann('all-MiniLM-L6-v2', '[...]'::vector, 10, p_ef_search => 100);
--   SELECT * FROM search_hybrid('all-MiniLM-L6-v2', '[...]'::vector, '[x,y,z]'::vector, 10, p_candidates => 1000);

-- The embedder row, refusing an unknown name, a query of the wrong dimension and k < 1.
CREATE OR REPLACE FUNCTION search_embedder(p_embedder text, p_query vector, p_k integer)
RETURNS embedders
LANGUAGE plpgsql STABLE AS $$
DECLARE
    e embedders;
BEGIN
    SELECT * INTO e FROM embedders WHERE name = p_embedder;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedder %', p_embedder USING ERRCODE = 'no_data_found';
    END IF;
    IF p_query IS NULL OR vector_dims(p_query) <> e.dimension THEN
        RAISE EXCEPTION 'embedder % has dimension %, the query vector has %',
            p_embedder, e.dimension, vector_dims(p_query) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_k IS NULL OR p_k < 1 OR p_k > 10000 THEN
        RAISE EXCEPTION 'k must be between 1 and 10000, got %', p_k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN e;
END $$;

-- The filter clause shared by the dynamic statements ($2 category, $3 metadata), or ''.
CREATE OR REPLACE FUNCTION search_filter_sql(p_category text, p_metadata jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_category IS NOT NULL THEN ' AND d.category = $2' ELSE '' END
        || CASE WHEN p_metadata IS NOT NULL THEN ' AND d.metadata @> $3' ELSE '' END
$$;

-- Exact: brute force over every vector of the embedder (index scans are switched off, so the
-- approximate HNSW index can never answer); the reference the other modes are measured against.
CREATE OR REPLACE FUNCTION search_exact(
    p_embedder text, p_query vector, p_k integer DEFAULT 10,
    p_category text DEFAULT NULL, p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (document_id bigint, score double precision, distance double precision)
LANGUAGE plpgsql STABLE
SET enable_indexscan = off
AS $$
DECLARE
    e embedders := search_embedder(p_embedder, p_query, p_k);
BEGIN
    IF p_category IS NULL AND p_metadata IS NULL THEN
        RETURN QUERY
        SELECT x.document_id, 1 - (x.embedding <=> p_query), x.embedding <=> p_query
        FROM embeddings x
        WHERE x.embedder_id = e.id
        ORDER BY x.embedding <=> p_query, x.document_id
        LIMIT p_k;
    ELSE
        RETURN QUERY
        SELECT x.document_id, 1 - (x.embedding <=> p_query), x.embedding <=> p_query
        FROM embeddings x
        JOIN documents d ON d.id = x.document_id
        WHERE x.embedder_id = e.id
          AND (p_category IS NULL OR d.category = p_category)
          AND (p_metadata IS NULL OR d.metadata @> p_metadata)
        ORDER BY x.embedding <=> p_query, x.document_id
        LIMIT p_k;
    END IF;
END $$;

-- Approximate: the embedder's partial HNSW index (embeddings_hnsw_e<id>, from
-- ensure_embedder_index). hnsw.ef_search is set for this transaction only; filtered queries use
-- pgvector's iterative index scan (relaxed order, re-sorted here) so a selective filter still
-- returns k rows.
CREATE OR REPLACE FUNCTION search_ann(
    p_embedder text, p_query vector, p_k integer DEFAULT 10, p_ef_search integer DEFAULT 40,
    p_category text DEFAULT NULL, p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (document_id bigint, score double precision, distance double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    e embedders := search_embedder(p_embedder, p_query, p_k);
    filtered boolean := p_category IS NOT NULL OR p_metadata IS NOT NULL;
BEGIN
    IF p_ef_search IS NULL OR p_ef_search < 1 OR p_ef_search > 1000 THEN
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', p_ef_search
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('hnsw.ef_search', p_ef_search::text, true);
    PERFORM set_config('hnsw.iterative_scan', CASE WHEN filtered THEN 'relaxed_order' ELSE 'off' END, true);
    -- The embedder id and dimension are integers from the embedders row (never caller text):
    -- they must be literals so the planner matches the partial index and its cast.
    RETURN QUERY EXECUTE format(
        'WITH hits AS MATERIALIZED (
             SELECT x.document_id, x.embedding::vector(%1$s) <=> $1::vector(%1$s) AS distance
             FROM embeddings x %3$s
             WHERE x.embedder_id = %2$s %4$s
             ORDER BY x.embedding::vector(%1$s) <=> $1::vector(%1$s)
             LIMIT $4)
         SELECT document_id, 1 - distance, distance FROM hits ORDER BY distance, document_id',
        e.dimension, e.id,
        CASE WHEN filtered THEN 'JOIN documents d ON d.id = x.document_id' ELSE '' END,
        search_filter_sql(p_category, p_metadata))
    USING p_query, p_category, p_metadata, p_k;
END $$;

-- The HNSW index over an embedder's 3-D projections (L2), for hybrid's candidate step.
CREATE OR REPLACE FUNCTION ensure_projection_index(p_embedder_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    index_name text := 'embeddings_proj_hnsw_e' || p_embedder_id::text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM embedders WHERE id = p_embedder_id) THEN
        RAISE EXCEPTION 'no embedder with id %', p_embedder_id;
    END IF;
    IF to_regclass(index_name) IS NULL THEN
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS %I ON embeddings USING hnsw (projection vector_l2_ops) '
            'WHERE embedder_id = %s AND projection IS NOT NULL', index_name, p_embedder_id);
    END IF;
    RETURN index_name;
END $$;

-- Hybrid, the system's original design: the p_candidates documents nearest to the query's 3-D
-- projection (HNSW on the projection, iterative scan), then an exact cosine rerank of those
-- candidates on the full vectors. Only rows of the embedder's current projection version count.
-- Its recall is bounded by how many true neighbours survive the projection: measure it
-- (bench/search.py) rather than assume it.
CREATE OR REPLACE FUNCTION search_hybrid(
    p_embedder text, p_query vector, p_query_projection vector, p_k integer DEFAULT 10,
    p_candidates integer DEFAULT 1000, p_category text DEFAULT NULL, p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (document_id bigint, score double precision, distance double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    e embedders := search_embedder(p_embedder, p_query, p_k);
BEGIN
    IF e.projection_version = 0 THEN
        RAISE EXCEPTION 'embedder % has no 3-D projection yet (hartonomous embeddings refit-projection)', p_embedder
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF p_query_projection IS NULL OR vector_dims(p_query_projection) <> 3 THEN
        RAISE EXCEPTION 'the query projection must be a 3-D vector' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_candidates IS NULL OR p_candidates < p_k OR p_candidates > 100000 THEN
        RAISE EXCEPTION 'candidates must be between k (%) and 100000, got %', p_k, p_candidates
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('hnsw.ef_search', least(greatest(p_candidates, 40), 1000)::text, true);
    PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true);
    PERFORM set_config('hnsw.max_scan_tuples', greatest(20000, 4 * p_candidates)::text, true);
    RETURN QUERY EXECUTE format(
        'WITH candidates AS MATERIALIZED (
             SELECT x.document_id, x.embedding
             FROM embeddings x %2$s
             WHERE x.embedder_id = %1$s AND x.projection IS NOT NULL
               AND x.projection_version = %3$s %4$s
             ORDER BY x.projection <-> $5::vector(3)
             LIMIT $6)
         SELECT document_id, 1 - (embedding <=> $1), embedding <=> $1
         FROM candidates ORDER BY embedding <=> $1, document_id LIMIT $4',
        e.id,
        CASE WHEN p_category IS NOT NULL OR p_metadata IS NOT NULL
             THEN 'JOIN documents d ON d.id = x.document_id' ELSE '' END,
        e.projection_version,
        search_filter_sql(p_category, p_metadata))
    USING p_query, p_category, p_metadata, p_k, p_query_projection, p_candidates;
END $$;

-- Ensemble: one query answered by several embedders (each with its own query vector, in the
-- same order), fused. Each embedder contributes its p_depth best documents (p_mode 'ann' or
-- 'exact'); every candidate is then scored exactly under every embedder, and the fused score is
--   'weighted': sum(weight_i * cosine_i)   (a model without a vector for the document adds 0)
--   'rrf':      sum(weight_i / (p_rrf_k + rank_i)) over the lists the document is in.
-- contributions shows, per embedder, its cosine, its rank (null: not in its list) and weight.
CREATE OR REPLACE FUNCTION search_ensemble(
    p_embedders text[], p_queries vector[], p_weights double precision[] DEFAULT NULL,
    p_k integer DEFAULT 10, p_method text DEFAULT 'rrf', p_depth integer DEFAULT 50,
    p_mode text DEFAULT 'ann', p_ef_search integer DEFAULT 40, p_rrf_k integer DEFAULT 60,
    p_category text DEFAULT NULL, p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (document_id bigint, score double precision, contributions jsonb)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF coalesce(cardinality(p_embedders), 0) = 0 OR cardinality(p_embedders) <> cardinality(p_queries)
       OR (p_weights IS NOT NULL AND cardinality(p_weights) <> cardinality(p_embedders)) THEN
        RAISE EXCEPTION 'give one query vector (and one weight, if any) per embedder'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(DISTINCT u) FROM unnest(p_embedders) u) <> cardinality(p_embedders) THEN
        RAISE EXCEPTION 'each embedder may appear once' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(*) FROM embedders WHERE name = ANY (p_embedders)) <> cardinality(p_embedders) THEN
        RAISE EXCEPTION 'unknown embedder among %', p_embedders USING ERRCODE = 'no_data_found';
    END IF;
    IF p_method NOT IN ('rrf', 'weighted') OR p_mode NOT IN ('ann', 'exact') THEN
        RAISE EXCEPTION 'method must be rrf or weighted and mode ann or exact, got % / %', p_method, p_mode
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_depth IS NULL OR p_depth < p_k THEN
        RAISE EXCEPTION 'depth must be at least k' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH inputs AS (
        SELECT u.embedder, u.query, coalesce(p_weights[u.i], 1.0) AS weight, u.i, e.id AS embedder_id
        FROM unnest(p_embedders, p_queries) WITH ORDINALITY AS u(embedder, query, i)
        JOIN embedders e ON e.name = u.embedder
    ), lists AS MATERIALIZED (
        SELECT inputs.i, h.document_id,
               row_number() OVER (PARTITION BY inputs.i ORDER BY h.distance, h.document_id) AS rank
        FROM inputs, LATERAL (
            SELECT * FROM search_ann(inputs.embedder, inputs.query, p_depth, p_ef_search, p_category, p_metadata)
            WHERE p_mode = 'ann'
            UNION ALL
            SELECT * FROM search_exact(inputs.embedder, inputs.query, p_depth, p_category, p_metadata)
            WHERE p_mode = 'exact') h
    ), scored AS (
        SELECT c.document_id, inputs.embedder, inputs.weight, l.rank,
               1 - (x.embedding <=> inputs.query) AS cosine
        FROM (SELECT DISTINCT lists.document_id FROM lists) c
        CROSS JOIN inputs
        LEFT JOIN embeddings x ON x.document_id = c.document_id AND x.embedder_id = inputs.embedder_id
        LEFT JOIN lists l ON l.i = inputs.i AND l.document_id = c.document_id
    )
    SELECT s.document_id,
           CASE WHEN p_method = 'rrf'
                THEN sum(CASE WHEN s.rank IS NULL THEN 0 ELSE s.weight / (p_rrf_k + s.rank) END)
                ELSE sum(s.weight * coalesce(s.cosine, 0)) END AS fused,
           jsonb_object_agg(s.embedder, jsonb_build_object('cosine', s.cosine, 'rank', s.rank, 'weight', s.weight))
    FROM scored s
    GROUP BY s.document_id
    ORDER BY fused DESC, s.document_id
    LIMIT p_k;
END $$;

-- The audit log of the query side: one inference_requests row per search/embed/generate/extract.
-- CDC carries the row into the graph ((:Inference)-[:USED_MODEL]->(:Model), -[:GENERATED_FROM]->
-- (:Document) for the documents in result_ids of a search).
CREATE OR REPLACE FUNCTION log_inference(
    p_kind text, p_inputs jsonb, p_models text[], p_result_ids text[], p_results jsonb,
    p_duration_ms double precision, p_requested_by text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO inference_requests (kind, inputs, models, result_ids, results, duration_ms, requested_by)
    VALUES (p_kind, coalesce(p_inputs, '{}'::jsonb), coalesce(p_models, '{}'), coalesce(p_result_ids, '{}'),
            coalesce(p_results, '{}'::jsonb), p_duration_ms, p_requested_by)
    RETURNING id
$$;
