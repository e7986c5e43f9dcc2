-- Store one embedding, only if the document still holds the text it was computed from (a
-- slower worker never overwrites a newer embedding with an older one) and it is not stored yet.
-- The projection is kept only if it comes from the embedder's current projection version.
INSERT INTO embeddings (document_id, embedder_id, content_hash, embedding, projection, projection_version)
SELECT d.id, e.id, d.content_hash, %(embedding)s::vector,
       CASE WHEN e.projection_version = %(projection_version)s THEN %(projection)s::vector(3) END,
       CASE WHEN e.projection_version = %(projection_version)s AND %(projection)s::vector(3) IS NOT NULL
            THEN %(projection_version)s END
FROM documents d, embedders e
WHERE d.id = %(document_id)s AND d.content_hash = %(content_hash)s AND e.id = %(embedder_id)s
ON CONFLICT (document_id, embedder_id) DO UPDATE
SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding,
    projection = EXCLUDED.projection, projection_version = EXCLUDED.projection_version,
    updated_at = clock_timestamp()
WHERE embeddings.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING document_id
