// Which inferences used model M and what knowledge did they draw on; which embeddings it
// computed; which models derive from it. The latest $limit of each kind.
// params: $model, $limit
MATCH (m:Model {name: $model})
CALL (m) {
  MATCH (m)<-[:USED_MODEL]-(i:Inference)
  WITH i ORDER BY i.time DESC LIMIT $limit
  OPTIONAL MATCH (i)-[:GENERATED_FROM]->(d:Document)
  WITH i, collect(d.id) AS knowledge
  RETURN 'inference' AS kind, i.id AS id, i.time AS time, i.kind AS detail, knowledge
  UNION ALL
  MATCH (m)<-[:USED]-(j:EmbeddingJob)
  WITH j ORDER BY j.time DESC LIMIT $limit
  MATCH (x:Embedding)-[:WAS_GENERATED_BY]->(j)
  RETURN 'embedding' AS kind, x.id AS id, j.time AS time, j.content_hash AS detail, [x.document_id] AS knowledge
  UNION ALL
  MATCH (m)<-[r:WAS_DERIVED_FROM]-(s:Model)
  OPTIONAL MATCH (s)-[:WAS_GENERATED_BY]->(a)
  WITH s, r, max(a.time) AS time
  ORDER BY time DESC LIMIT $limit
  RETURN 'derived model' AS kind, s.name AS id, time, r.method AS detail, [] AS knowledge
}
RETURN kind, id, toString(time) AS time, detail, knowledge
ORDER BY kind, time DESC, id
