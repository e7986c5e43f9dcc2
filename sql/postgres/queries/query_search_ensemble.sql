-- Several embedders fused (rrf or weighted): search_ensemble in 030_search.sql.
SELECT document_id, score, contributions
FROM search_ensemble(%(embedders)s, %(queries)s::vector[], %(weights)s, %(k)s, %(method)s, %(depth)s,
                     %(mode)s, %(ef_search)s, %(rrf_k)s, %(category)s, %(metadata)s)
