COPY chunks (hash, length, bytes) FROM STDIN (FORMAT BINARY)
