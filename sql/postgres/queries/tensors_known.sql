-- For each of these contents, one stored tensor chunked the same way: its chunk list and
-- statistics are reused instead of recomputed. The row is locked against deletion until the
-- ingest commits, so the chunk list it lends stays there.
SELECT h.content_hash, t.id, t.dtype, t.shape, t.chunks, t.mean, t.std, t.min, t.max, t.l2, t.nonfinite,
       t.importance
FROM unnest(%(hashes)s::text[]) AS h(content_hash)
CROSS JOIN LATERAL (
    SELECT t.id, t.dtype, t.shape, t.mean, t.std, t.min, t.max, t.l2, t.nonfinite, t.importance,
           (SELECT count(*) FROM tensor_chunks tc WHERE tc.tensor_id = t.id) AS chunks
    FROM tensors t
    JOIN models m ON m.id = t.model_id
    WHERE t.content_hash = h.content_hash AND m.chunking = %(chunking)s
    ORDER BY t.id
    LIMIT 1
    FOR KEY SHARE OF t
) AS t
