-- The tensors of a model in file order, with their layer.
SELECT t.id, t.ordinal, t.name, l.name AS layer, l.layer_index, t.component, t.role, t.dtype, t.shape,
       t.nbytes, t.quant_type, t.block_size, t.block_bytes, t.content_hash, t.importance, t.mean, t.std,
       t.min, t.max, t.l2
FROM tensors t
LEFT JOIN layers l ON l.id = t.layer_id
WHERE t.model_id = %(model_id)s
ORDER BY t.ordinal
