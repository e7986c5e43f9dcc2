-- The chunks of one tensor in order (bytes of the whole tensor when concatenated).
SELECT c.bytes
FROM tensor_chunks tc
JOIN chunks c ON c.hash = tc.chunk_hash
WHERE tc.tensor_id = %(tensor_id)s
ORDER BY tc.ordinal
