-- New tensors take the chunk lists of stored tensors with the same content (no bytes move).
INSERT INTO tensor_chunks (tensor_id, ordinal, chunk_hash, byte_offset)
SELECT m.new_id, tc.ordinal, tc.chunk_hash, tc.byte_offset
FROM unnest(%(new_ids)s::bigint[], %(old_ids)s::bigint[]) AS m(new_id, old_id)
JOIN tensor_chunks tc ON tc.tensor_id = m.old_id
