-- The neurons (weight rows) nearest by cosine distance to one neuron, across every stored
-- model: rows of the same width only. A tensor shared by several models lists each of them.
WITH target AS (
    SELECT w.content_hash, w.row_index, w.dim, w.weights
    FROM models m
    JOIN tensors t ON t.model_id = m.id
    JOIN weight_rows w ON w.content_hash = t.content_hash AND w.row_index = %(row)s
    WHERE m.name = %(model)s AND t.name = %(tensor)s
)
SELECT m.name AS model, t.name AS tensor, w.row_index AS row,
       round((w.weights <=> target.weights)::numeric, 4) AS cosine_distance
FROM target
JOIN weight_rows w ON w.dim = target.dim
                  AND (w.content_hash, w.row_index) <> (target.content_hash, target.row_index)
JOIN tensors t ON t.content_hash = w.content_hash
JOIN models m ON m.id = t.model_id
ORDER BY w.weights <=> target.weights
LIMIT %(limit)s
