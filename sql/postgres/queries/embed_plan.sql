-- Which of these content hashes need an embed job for one embedder: the document holding the
-- hash now has no embedding computed from it, and no job for (document, embedder, hash) is
-- pending or running within the lease (a job row is written only after its event was
-- acknowledged by Kafka, so a pending row means the job is on its way).
SELECT d.id AS document_id, d.content_hash
FROM documents d
WHERE d.content_hash = ANY(%(content_hashes)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM embeddings x JOIN embedders e ON e.id = x.embedder_id
      WHERE e.name = %(embedder)s AND x.document_id = d.id AND x.content_hash = d.content_hash)
  AND NOT EXISTS (
      SELECT 1 FROM jobs j
      WHERE j.kind = 'embed'
        AND j.natural_key = d.id::text || ':' || %(embedder)s || ':' || d.content_hash
        AND j.status IN ('pending', 'running')
        AND j.updated_at > now() - make_interval(secs => %(lease_s)s))
ORDER BY d.id
