-- Every stored model, newest first.
SELECT m.id, m.name, m.format, m.architecture, m.parameter_count, m.tensor_count, m.layer_count,
       m.tensor_bytes, m.new_chunk_bytes, p.name AS parent, m.derivation, m.created_at
FROM models m
LEFT JOIN models p ON p.id = m.parent_id
ORDER BY m.created_at DESC, m.id DESC
