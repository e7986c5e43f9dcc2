-- Every chunk of every tensor of a model, in tensor order then chunk order (one round trip:
-- the tensors are reassembled by concatenating their chunks).
SELECT t.name, t.dtype, t.shape, t.nbytes, t.content_hash, t.quant_type, c.bytes
FROM tensors t
JOIN tensor_chunks tc ON tc.tensor_id = t.id
JOIN chunks c ON c.hash = tc.chunk_hash
WHERE t.model_id = %(model_id)s
ORDER BY t.ordinal, tc.ordinal
