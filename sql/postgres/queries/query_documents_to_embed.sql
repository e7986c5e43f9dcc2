-- Documents without an up-to-date embedding by one embedder (oldest first).
SELECT d.id, d.content, d.content_hash
FROM documents d
LEFT JOIN embeddings e ON e.document_id = d.id AND e.embedder_id = %(embedder_id)s
WHERE e.content_hash IS DISTINCT FROM d.content_hash
  AND (%(category)s::text IS NULL OR d.category = %(category)s)
ORDER BY d.id
LIMIT %(limit)s
