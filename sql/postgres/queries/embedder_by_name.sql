SELECT id, name, dimension, projection_version, projection_params, projection_points
FROM embedders WHERE name = %(name)s
