-- The layers of a model with their tensor counts, bytes and mean tensor importance.
SELECT l.layer_index, l.name, count(t.id) AS tensors, coalesce(sum(t.nbytes), 0)::bigint AS bytes,
       avg(t.importance) AS importance
FROM layers l
LEFT JOIN tensors t ON t.layer_id = l.id
WHERE l.model_id = %(model_id)s
GROUP BY l.id, l.layer_index, l.name
ORDER BY l.layer_index, l.name
