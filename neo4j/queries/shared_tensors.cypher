// Which models share tensors with model M, by content hash (the bytes, not the names).
// params: $model
MATCH (t:Tensor {model: $model})
WITH collect(t) AS mine, count(t) AS total
UNWIND mine AS t
MATCH (o:Tensor {content_hash: t.content_hash})
WHERE o.model <> $model
WITH total, o.model AS other, count(DISTINCT t) AS shared, collect(DISTINCT t.name)[..5] AS examples
OPTIONAL MATCH (:Model {name: other})-[r:WAS_DERIVED_FROM]-(:Model {name: $model})
RETURN other AS model, shared, total, round(100.0 * shared / total, 1) AS percent,
       collect(DISTINCT r.method) AS relation, examples
ORDER BY shared DESC, model
