-- Delete the weight rows of tensor contents no stored tensor has any more.
WITH dead AS (
    DELETE FROM weight_rows w
    WHERE NOT EXISTS (SELECT 1 FROM tensors t WHERE t.content_hash = w.content_hash)
    RETURNING 1
)
SELECT count(*) FROM dead
