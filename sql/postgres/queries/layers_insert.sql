-- The layers of a model being written; returns their ids by name.
INSERT INTO layers (model_id, layer_index, name)
SELECT %(model_id)s, t.layer_index, t.name
FROM unnest(%(indexes)s::integer[], %(names)s::text[]) AS t(layer_index, name)
RETURNING id, name
