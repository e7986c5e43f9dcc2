-- Benchmarks: the plain pgvector statement search_ann wraps ({dim} and {embedder_id} are
-- composed in as literals so the planner matches the partial HNSW index).
SELECT x.document_id FROM embeddings x WHERE x.embedder_id = {embedder_id}
ORDER BY x.embedding::vector({dim}) <=> %(query)s::vector({dim}) LIMIT %(k)s
