-- Benchmarks: the stored 3-D points of an embedder's corpus in load order.
SELECT e.projection FROM documents d JOIN embeddings e ON e.document_id = d.id AND e.embedder_id = %(embedder_id)s
ORDER BY d.chunk_index
