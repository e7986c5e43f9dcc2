-- 3-D projection candidates, exact rerank: search_hybrid in 030_search.sql.
SELECT document_id, score, distance
FROM search_hybrid(%(embedder)s, %(query)s, %(projection)s, %(k)s, %(candidates)s, %(category)s, %(metadata)s)
