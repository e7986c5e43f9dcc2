-- Link an embedder to its encoder stored as a model (registering the embedder if it is new).
INSERT INTO embedders (name, dimension, model_id, model_source)
VALUES (%(name)s, %(dimension)s, %(model_id)s, %(model_source)s)
ON CONFLICT (name) DO UPDATE
SET model_id = EXCLUDED.model_id, model_source = COALESCE(embedders.model_source, EXCLUDED.model_source)
RETURNING id
