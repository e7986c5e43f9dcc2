-- The tensors of one layer of a model that play the given roles.
SELECT t.id, t.name, t.role, t.dtype, t.shape
FROM tensors t JOIN layers l ON l.id = t.layer_id
WHERE t.model_id = %(model_id)s AND l.layer_index = %(layer_index)s AND t.role = ANY (%(roles)s)
ORDER BY t.ordinal
