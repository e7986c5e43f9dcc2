-- Publish a newly fitted projection version (only if nobody published another meanwhile).
UPDATE embedders
SET projection_version = %(version)s, projection_params = %(params)s,
    projection_points = %(points)s, projection_fitted_at = now()
WHERE id = %(embedder_id)s AND projection_version = %(previous)s
RETURNING projection_version
