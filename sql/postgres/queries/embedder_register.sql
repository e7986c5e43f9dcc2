-- Register an embedder (or find it): returns its row either way.
INSERT INTO embedders (name, dimension, model_source, normalized)
VALUES (%(name)s, %(dimension)s, %(model_source)s, %(normalized)s)
ON CONFLICT (name) DO UPDATE SET model_source = COALESCE(embedders.model_source, EXCLUDED.model_source)
RETURNING id, name, dimension, projection_version
