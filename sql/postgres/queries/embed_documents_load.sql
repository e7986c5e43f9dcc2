-- The documents of a batch of embed jobs, with the hash of their current embedding (if any).
SELECT d.id, d.content, d.content_hash, x.content_hash AS embedded_hash,
       d.source_uri, d.chunk_index, d.category
FROM documents d
LEFT JOIN embeddings x ON x.document_id = d.id AND x.embedder_id = %(embedder_id)s
WHERE d.id = ANY(%(document_ids)s::bigint[])
