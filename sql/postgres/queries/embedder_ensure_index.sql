-- Create the embedder's partial HNSW index if missing; returns the index name.
SELECT ensure_embedder_index(%(embedder_id)s) AS index_name
