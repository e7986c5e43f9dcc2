COPY stage_chunks (hash, length, bytes) FROM STDIN (FORMAT BINARY)
