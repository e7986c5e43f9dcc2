-- The HNSW index over one embedder's 3-D projections (created once, if missing).
SELECT ensure_projection_index(%(embedder_id)s)
