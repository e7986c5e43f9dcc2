-- A student's tensors for its model.extracted event, and whether each is shared with the parent.
SELECT t.name, t.content_hash, l.name AS layer, l.layer_index, t.component, t.dtype, t.shape, t.nbytes,
       EXISTS (SELECT 1 FROM tensors p WHERE p.model_id = %(parent_id)s AND p.content_hash = t.content_hash) AS shared
FROM tensors t LEFT JOIN layers l ON l.id = t.layer_id
WHERE t.model_id = %(model_id)s
ORDER BY t.ordinal
