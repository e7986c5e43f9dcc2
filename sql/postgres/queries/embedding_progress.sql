-- Of the documents holding these content hashes: how many exist, and how many have an
-- embedding computed from their current text by the embedder.
SELECT count(d.id) AS documents,
       count(x.document_id) FILTER (WHERE x.content_hash = d.content_hash) AS embedded
FROM documents d
LEFT JOIN embeddings x
       ON x.document_id = d.id
      AND x.embedder_id = (SELECT id FROM embedders WHERE name = %(embedder)s)
WHERE d.content_hash = ANY(%(content_hashes)s::text[])
