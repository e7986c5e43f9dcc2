-- Benchmarks: how many vectors an embedder has stored.
SELECT count(*) FROM embeddings WHERE embedder_id = %(embedder_id)s
