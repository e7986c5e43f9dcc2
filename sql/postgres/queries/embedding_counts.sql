SELECT embedder, documents, embedded, pending, without_projection, projection_version
FROM embedding_status ORDER BY embedder
