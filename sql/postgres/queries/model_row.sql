-- One stored model with its parent's name.
SELECT m.id, m.name, m.format, m.architecture, m.family, m.file_hash, m.bytes, m.tensor_bytes,
       m.parameter_count, m.tensor_count, m.layer_count, m.chunk_count, m.new_chunk_bytes,
       p.name AS parent, m.derivation, m.source_uri, m.chunking, m.weight_rows_note, m.metadata,
       m.config, m.created_at,
       (SELECT count(*) FROM vocab_tokens v WHERE v.model_id = m.id) AS vocab_size
FROM models m
LEFT JOIN models p ON p.id = m.parent_id
WHERE m.id = %(id)s
