-- Exact top-k of one embedder (brute force): search_exact in 030_search.sql.
SELECT document_id, score, distance
FROM search_exact(%(embedder)s, %(query)s, %(k)s, %(category)s, %(metadata)s)
