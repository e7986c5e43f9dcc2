COPY tensor_chunks (tensor_id, ordinal, chunk_hash, byte_offset) FROM STDIN (FORMAT BINARY)
