-- One entry of a sliced tensor's new chunk list.
INSERT INTO tensor_chunks (tensor_id, ordinal, chunk_hash, byte_offset)
VALUES (%(tensor_id)s, %(ordinal)s, %(hash)s, %(offset)s)
