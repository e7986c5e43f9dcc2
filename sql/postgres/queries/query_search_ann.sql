-- Approximate top-k through the embedder's HNSW index: search_ann in 030_search.sql.
SELECT document_id, score, distance
FROM search_ann(%(embedder)s, %(query)s, %(k)s, %(ef_search)s, %(category)s, %(metadata)s)
