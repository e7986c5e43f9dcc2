COPY embeddings (document_id, embedder_id, content_hash, embedding, projection, projection_version) FROM STDIN WITH (FORMAT BINARY)
