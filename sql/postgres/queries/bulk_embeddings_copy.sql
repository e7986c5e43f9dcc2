COPY embeddings (document_id, embedder_id, content_hash, embedding) FROM STDIN WITH (FORMAT BINARY)
