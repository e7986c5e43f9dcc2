-- Student extraction with SQL: a new model made of a selection of a parent's rows.
-- Idempotent (CREATE OR REPLACE). Needs the models tables of 020.
--
-- extract_layers copies the parent's rows for the chosen layers (renumbered 0..n-1) plus every
-- tensor outside the layer stack (embeddings, final norm, head). Nothing is copied byte-wise: the
-- student's tensor_chunks point at the parent's chunks, so the student costs rows, not weights.
-- Its config is rewritten (layer count), its files (tokenizer, pooling...) are the parent's with
-- config.json replaced, its vocabulary is the parent's, parent_id and derivation are recorded.
-- Slicing inside a layer (FFN neurons, attention heads) is done by hartonomous.query.extract on
-- top of this, writing new chunks only for the sliced tensors.
--
--   SELECT extract_layers('all-MiniLM-L6-v2', 'minilm-l3', ARRAY[0, 1, 2]);

-- The layer-count key of a Hugging Face config (GPT-2 says n_layer, most others num_hidden_layers).
CREATE OR REPLACE FUNCTION config_layer_key(p_config jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_config ? 'n_layer' AND NOT p_config ? 'num_hidden_layers' THEN 'n_layer'
                ELSE 'num_hidden_layers' END
$$;

CREATE OR REPLACE FUNCTION extract_layers(
    p_parent text, p_name text, p_layers integer[], p_derivation text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    parent models;
    student_id bigint;
    layer_count integer;
    new_config jsonb;
    kept integer[];
BEGIN
    SELECT * INTO parent FROM models WHERE name = p_parent;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown model %', p_parent USING ERRCODE = 'no_data_found';
    END IF;
    IF p_name IS NULL OR p_name = '' OR EXISTS (SELECT 1 FROM models WHERE name = p_name) THEN
        RAISE EXCEPTION 'a model named % exists already (or the name is empty)', p_name
            USING ERRCODE = 'unique_violation';
    END IF;
    SELECT count(*) INTO layer_count FROM layers WHERE model_id = parent.id;
    IF coalesce(cardinality(p_layers), 0) = 0 THEN
        RAISE EXCEPTION 'a student needs at least one layer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(DISTINCT l) FROM unnest(p_layers) l) <> cardinality(p_layers) THEN
        RAISE EXCEPTION 'layer list % repeats a layer', p_layers USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_layers) l WHERE l IS NULL OR l < 0 OR l >= layer_count) THEN
        RAISE EXCEPTION 'layer out of range: % (model % has layers 0..%)', p_layers, p_parent, layer_count - 1
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    kept := ARRAY(SELECT l FROM unnest(p_layers) l ORDER BY l);
    new_config := jsonb_set(coalesce(parent.config, '{}'::jsonb),
                            ARRAY[config_layer_key(coalesce(parent.config, '{}'::jsonb))],
                            to_jsonb(cardinality(kept)));
    student_id := nextval(pg_get_serial_sequence('models', 'id'));

    -- old layer -> new layer (index = position in the sorted selection; name renumbered)
    CREATE TEMP TABLE IF NOT EXISTS extract_layer_map (old_id bigint, new_id bigint, old_name text, new_name text)
        ON COMMIT DROP;
    DELETE FROM extract_layer_map;
    WITH chosen AS (
        SELECT l.id, l.name, (array_position(kept, l.layer_index) - 1) AS new_index
        FROM layers l WHERE l.model_id = parent.id AND l.layer_index = ANY (kept)
    ), inserted AS (
        INSERT INTO layers (model_id, layer_index, name)
        SELECT student_id, c.new_index, regexp_replace(c.name, '\d+$', c.new_index::text) FROM chosen c
        RETURNING id, name
    )
    INSERT INTO extract_layer_map
    SELECT c.id, i.id, c.name, i.name
    FROM chosen c JOIN inserted i ON i.name = regexp_replace(c.name, '\d+$', c.new_index::text);

    -- old tensor -> new tensor (non-layer tensors keep their names)
    CREATE TEMP TABLE IF NOT EXISTS extract_tensor_map (old_id bigint, new_id bigint) ON COMMIT DROP;
    DELETE FROM extract_tensor_map;
    INSERT INTO extract_tensor_map
    SELECT t.id, nextval(pg_get_serial_sequence('tensors', 'id'))
    FROM tensors t LEFT JOIN extract_layer_map m ON m.old_id = t.layer_id
    WHERE t.model_id = parent.id AND (t.layer_id IS NULL OR m.old_id IS NOT NULL)
    ORDER BY t.ordinal;

    INSERT INTO tensors (id, model_id, layer_id, ordinal, name, component, role, part, param, dtype, shape,
                         numel, nbytes, quant_type, block_size, block_bytes, mean, std, min, max, l2,
                         nonfinite, importance, content_hash)
    SELECT x.new_id, student_id, m.new_id, (row_number() OVER (ORDER BY t.ordinal) - 1)::integer,
           CASE WHEN m.old_id IS NULL THEN t.name ELSE m.new_name || substr(t.name, length(m.old_name) + 1) END,
           t.component, t.role, t.part, t.param, t.dtype, t.shape, t.numel, t.nbytes, t.quant_type,
           t.block_size, t.block_bytes, t.mean, t.std, t.min, t.max, t.l2, t.nonfinite, t.importance,
           t.content_hash
    FROM tensors t
    JOIN extract_tensor_map x ON x.old_id = t.id
    LEFT JOIN extract_layer_map m ON m.old_id = t.layer_id;

    -- the student's chunk lists point at the parent's chunks: shared, never copied
    INSERT INTO tensor_chunks (tensor_id, ordinal, chunk_hash, byte_offset)
    SELECT x.new_id, tc.ordinal, tc.chunk_hash, tc.byte_offset
    FROM tensor_chunks tc JOIN extract_tensor_map x ON x.old_id = tc.tensor_id;

    INSERT INTO model_files (model_id, path, kind, content, content_hash)
    SELECT student_id, f.path, f.kind, f.content, f.content_hash
    FROM model_files f WHERE f.model_id = parent.id AND f.path <> 'config.json';
    IF EXISTS (SELECT 1 FROM model_files WHERE model_id = parent.id AND path = 'config.json') THEN
        INSERT INTO model_files (model_id, path, kind, content, content_hash)
        VALUES (student_id, 'config.json', 'sidecar', convert_to(jsonb_pretty(new_config), 'UTF8'),
                'sha256:' || encode(sha256(convert_to(jsonb_pretty(new_config), 'UTF8')), 'hex'));
    END IF;

    INSERT INTO vocab_tokens (model_id, token_id, token)
    SELECT student_id, v.token_id, v.token FROM vocab_tokens v WHERE v.model_id = parent.id;

    INSERT INTO models (id, name, format, architecture, family, config, file_hash, hash_algorithm, bytes,
                        tensor_bytes, parameter_count, tensor_count, layer_count, chunk_count, new_chunk_bytes,
                        parent_id, derivation, source_uri, chunking, weight_rows_note, metadata)
    SELECT student_id, p_name, 'safetensors', parent.architecture, parent.family, new_config,
           model_composition_hash(student_id), parent.hash_algorithm,
           sum(t.nbytes), sum(t.nbytes), sum(t.numel), count(*), cardinality(kept),
           (SELECT count(DISTINCT tc.chunk_hash) FROM tensor_chunks tc JOIN tensors t2 ON t2.id = tc.tensor_id
            WHERE t2.model_id = student_id),
           0, parent.id, coalesce(p_derivation, 'extract:layers=' || array_to_string(kept, ',')),
           'extract:' || parent.name, parent.chunking,
           jsonb_build_object('inherited_from', parent.name),
           parent.metadata || jsonb_build_object('extracted_from', parent.name, 'layers', to_jsonb(kept))
    FROM tensors t WHERE t.model_id = student_id;
    RETURN student_id;
END $$;

-- The identity of a model assembled from rows rather than read from a file: the SHA-256 of its
-- tensors' names and content hashes in order (a student has no source file to hash).
CREATE OR REPLACE FUNCTION model_composition_hash(p_model_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(coalesce(string_agg(name || ':' || content_hash, E'\n' ORDER BY ordinal), ''),
                                    'UTF8')), 'hex')
    FROM tensors WHERE model_id = p_model_id
$$;

-- How much an FFN neuron matters, from the stored weight rows: for neuron j of a layer, the
-- product of the L2 norms of its weights in every FFN projection (its row where the neuron
-- indexes rows, its column where it indexes columns, read by unnesting the weight-row vectors).
-- Returns no row for a neuron whose weights are not all stored as weight rows (the caller then
-- computes the same product from the tensors).
CREATE OR REPLACE FUNCTION ffn_neuron_importance(p_model_id bigint, p_layer_index integer, p_intermediate integer)
RETURNS TABLE (neuron integer, importance double precision, tensors integer)
LANGUAGE sql STABLE AS $$
    WITH ffn AS (
        SELECT t.id, t.content_hash, t.shape
        FROM tensors t JOIN layers l ON l.id = t.layer_id
        WHERE t.model_id = p_model_id AND l.layer_index = p_layer_index
          AND t.role IN ('ffn_up', 'ffn_gate', 'ffn_down') AND cardinality(t.shape) = 2
    ), by_row AS (       -- the neuron indexes rows: its norm is stored per row
        SELECT f.id, w.row_index AS neuron, w.norm::double precision AS norm
        FROM ffn f JOIN weight_rows w ON w.content_hash = f.content_hash
        WHERE f.shape[1] = p_intermediate
    ), by_column AS (    -- the neuron indexes columns: sum the squares down each column
        SELECT f.id, (c.ord - 1)::integer AS neuron, sqrt(sum(c.v::double precision * c.v)) AS norm
        FROM ffn f JOIN weight_rows w ON w.content_hash = f.content_hash
        CROSS JOIN LATERAL unnest(w.weights::real[]) WITH ORDINALITY AS c(v, ord)
        WHERE f.shape[2] = p_intermediate AND f.shape[1] <> p_intermediate
          AND (SELECT count(*) FROM weight_rows w2 WHERE w2.content_hash = f.content_hash) = f.shape[1]
        GROUP BY f.id, c.ord
    )
    SELECT neuron, exp(sum(ln(greatest(norm, 1e-30)))), count(*)::integer
    FROM (SELECT * FROM by_row UNION ALL SELECT * FROM by_column) n
    GROUP BY neuron
    HAVING count(*) = (SELECT count(*) FROM ffn)
    ORDER BY neuron
$$;
