-- A random sample of one embedder's vectors to fit a projection on.
SELECT document_id, embedding FROM embeddings
WHERE embedder_id = %(embedder_id)s
ORDER BY random()
LIMIT %(limit)s
