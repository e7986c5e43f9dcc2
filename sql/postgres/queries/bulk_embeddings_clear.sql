-- Benchmarks/tests: drop an embedder's embeddings of these documents before reloading them.
DELETE FROM embeddings WHERE embedder_id = %(embedder_id)s AND document_id = ANY (%(ids)s)
