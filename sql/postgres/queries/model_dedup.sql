-- How a model's chunks are shared: references, distinct chunks and bytes, and the part of
-- those bytes that other models use too.
WITH mine AS (
    SELECT DISTINCT tc.chunk_hash
    FROM tensor_chunks tc JOIN tensors t ON t.id = tc.tensor_id
    WHERE t.model_id = %(model_id)s
), shared AS (
    SELECT m.chunk_hash
    FROM mine m
    WHERE EXISTS (
        SELECT 1 FROM tensor_chunks tc JOIN tensors t ON t.id = tc.tensor_id
        WHERE tc.chunk_hash = m.chunk_hash AND t.model_id <> %(model_id)s
    )
)
SELECT (SELECT count(*) FROM mine) AS distinct_chunks,
       (SELECT coalesce(sum(c.length), 0) FROM mine JOIN chunks c ON c.hash = mine.chunk_hash)::bigint AS distinct_bytes,
       (SELECT count(*) FROM shared) AS shared_chunks,
       (SELECT coalesce(sum(c.length), 0) FROM shared JOIN chunks c ON c.hash = shared.chunk_hash)::bigint AS shared_bytes
