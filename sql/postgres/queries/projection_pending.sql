-- Embeddings of one embedder not projected with the given version, in document order.
SELECT document_id, embedding FROM embeddings
WHERE embedder_id = %(embedder_id)s AND projection_version IS DISTINCT FROM %(version)s
  AND document_id > %(after)s
ORDER BY document_id
LIMIT %(limit)s
