-- The embedder a query names, with the stored model it links to (if any).
SELECT e.id, e.name, e.dimension, e.model_id, e.model_source, e.projection_version
FROM embedders e
WHERE e.name = %(name)s
