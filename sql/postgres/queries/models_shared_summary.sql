-- For every pair of stored models: how many tensors and chunk bytes they share.
WITH model_chunks AS (
    SELECT DISTINCT t.model_id, tc.chunk_hash
    FROM tensors t JOIN tensor_chunks tc ON tc.tensor_id = t.id
)
SELECT ma.name AS model, mb.name AS other,
       (SELECT count(*) FROM tensors a JOIN tensors b ON b.content_hash = a.content_hash
        WHERE a.model_id = ma.id AND b.model_id = mb.id) AS shared_tensors,
       pg_size_pretty(sum(c.length)) AS shared_chunk_bytes
FROM model_chunks x
JOIN model_chunks y ON y.chunk_hash = x.chunk_hash AND y.model_id > x.model_id
JOIN chunks c ON c.hash = x.chunk_hash
JOIN models ma ON ma.id = x.model_id
JOIN models mb ON mb.id = y.model_id
GROUP BY ma.id, ma.name, mb.id, mb.name
ORDER BY sum(c.length) DESC
