-- Benchmarks/tests: document ids by content hash.
SELECT content_hash, id FROM documents WHERE content_hash = ANY (%(hashes)s)
