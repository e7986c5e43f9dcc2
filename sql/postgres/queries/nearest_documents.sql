-- k nearest documents to a query vector for one embedder, through its partial HNSW index,
-- among documents whose source URI starts with %(source_prefix)s ('' for all).
-- {dimension} is the embedder's dimension, composed as a literal with psycopg.sql.
SELECT d.id, d.title, d.content, d.category,
       1 - (x.embedding::vector({dimension}) <=> %(query)s::vector({dimension})) AS similarity
FROM embeddings x JOIN documents d ON d.id = x.document_id
WHERE x.embedder_id = %(embedder_id)s AND starts_with(d.source_uri, %(source_prefix)s)
ORDER BY x.embedding::vector({dimension}) <=> %(query)s::vector({dimension})
LIMIT %(k)s
