-- Delete the chunks no tensor refers to; returns how many and their bytes.
WITH dead AS (
    DELETE FROM chunks c
    WHERE NOT EXISTS (SELECT 1 FROM tensor_chunks tc WHERE tc.chunk_hash = c.hash)
    RETURNING c.length
)
SELECT count(*), coalesce(sum(length), 0)::bigint FROM dead
