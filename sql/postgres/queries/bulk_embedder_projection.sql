-- Benchmarks/tests: mark an embedder's projection version (the vectors were loaded with it).
UPDATE embedders SET projection_version = %(version)s, projection_params = %(params)s,
       projection_points = %(points)s, projection_fitted_at = now()
WHERE id = %(embedder_id)s
