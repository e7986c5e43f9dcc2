-- The most important attention heads of a model: the L2 norm of each head's weights, with
-- head h owning rows [h*d, (h+1)*d) of the Q, K and V projections and columns [h*d, (h+1)*d) of
-- the output projection (d = hidden / heads; layouts where rows are output neurons: BERT,
-- Llama, GGUF). Sampled weight rows make a head's figure partial (models.weight_rows_note).
WITH model AS (
    SELECT id, coalesce((config ->> 'num_attention_heads')::int, (config ->> 'n_head')::int,
                        (metadata -> 'gguf' ->> (architecture || '.attention.head_count'))::int) AS heads
    FROM models WHERE name = %(model)s
), projections AS (
    SELECT t.content_hash, t.role, l.layer_index, t.shape[2] / m.heads AS head_dim, m.heads
    FROM tensors t
    JOIN model m ON m.id = t.model_id
    JOIN layers l ON l.id = t.layer_id
    WHERE t.role IN ('q', 'k', 'v', 'o') AND t.param = 'weight' AND array_length(t.shape, 1) = 2
), per_head AS (
    SELECT p.layer_index, w.row_index / p.head_dim AS head, sum(w.norm::float8 ^ 2) AS sq
    FROM projections p JOIN weight_rows w ON w.content_hash = p.content_hash
    WHERE p.role IN ('q', 'k', 'v')
    GROUP BY 1, 2
    UNION ALL
    SELECT p.layer_index, h.head,
           sum(vector_norm(subvector(w.weights, h.head * p.head_dim + 1, p.head_dim))::float8 ^ 2)
    FROM projections p
    JOIN weight_rows w ON w.content_hash = p.content_hash
    CROSS JOIN LATERAL generate_series(0, p.heads - 1) AS h(head)
    WHERE p.role = 'o'
    GROUP BY 1, 2
)
SELECT layer_index AS layer, head, round(sqrt(sum(sq))::numeric, 4) AS importance
FROM per_head
GROUP BY layer_index, head
ORDER BY importance DESC
LIMIT %(limit)s
