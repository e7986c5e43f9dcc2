-- Claim a page of one embedder's embeddings that have no projection yet (inside a
-- transaction; rows another worker is projecting are skipped, not waited for).
SELECT document_id, embedding FROM embeddings
WHERE embedder_id = %(embedder_id)s AND projection IS NULL
ORDER BY document_id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
