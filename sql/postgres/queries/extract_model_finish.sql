-- A student's config and totals after slicing: sizes, chunk counts, new bytes, composition hash.
UPDATE models m
SET config = %(config)s, derivation = %(derivation)s,
    metadata = m.metadata || %(selection)s,
    bytes = s.nbytes, tensor_bytes = s.nbytes, parameter_count = s.numel,
    chunk_count = (SELECT count(DISTINCT tc.chunk_hash) FROM tensor_chunks tc JOIN tensors t ON t.id = tc.tensor_id
                   WHERE t.model_id = m.id),
    new_chunk_bytes = %(new_chunk_bytes)s,
    file_hash = model_composition_hash(m.id)
FROM (SELECT sum(nbytes) AS nbytes, sum(numel) AS numel FROM tensors WHERE model_id = %(model_id)s) s
WHERE m.id = %(model_id)s
