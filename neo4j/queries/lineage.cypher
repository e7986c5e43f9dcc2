// Where did this come from? From an embedding, model, inference (answer), document or event,
// follow the PROV edges outward to the source row or file and its hash. One row per edge of the
// lineage (each at its shortest depth), plus the start node itself at depth 0.
// params: $id (the node's key), $kind (a label to restrict to, or null)
CALL () {
  MATCH (n:Embedding {id: $id}) RETURN n
  UNION
  MATCH (n:Model {name: $id}) RETURN n
  UNION
  MATCH (n:Inference {id: $id}) RETURN n
  UNION
  MATCH (n:Document {id: $id}) RETURN n
  UNION
  MATCH (n:Event {id: $id}) RETURN n
}
WITH n
WHERE $kind IS NULL OR $kind IN labels(n)
CALL (n) {
  RETURN 0 AS depth, null AS a, null AS r, n AS b
  UNION ALL
  MATCH p = (n)-[:WAS_GENERATED_BY|WAS_INVALIDATED_BY|USED|WAS_DERIVED_FROM|EMBEDS|GENERATED_FROM|USED_MODEL|RECORDED_IN|TRIGGERED_BY|WAS_ASSOCIATED_WITH*1..12]->()
  UNWIND range(1, length(p)) AS i
  WITH relationships(p)[i - 1] AS r, i AS depth
  WITH r, min(depth) AS depth
  RETURN depth, startNode(r) AS a, r, endNode(r) AS b
}
RETURN labels(n)[0] AS root_label,
       coalesce(n.id, n.key, n.name) AS root,
       depth,
       CASE WHEN a IS NULL THEN null ELSE labels(a)[0] END AS from_label,
       CASE WHEN a IS NULL THEN null ELSE coalesce(a.id, a.key, a.name) END AS from_key,
       CASE WHEN r IS NULL THEN null ELSE type(r) END AS rel,
       CASE WHEN r IS NULL THEN null ELSE r.method END AS method,
       labels(b)[0] AS to_label,
       coalesce(b.id, b.key, b.name) AS to_key,
       coalesce(b.content_hash, b.file_hash) AS hash,
       b.source_uri AS uri,
       b.row_key AS row_key,
       coalesce(b.op, b.kind, b.type, b.format) AS what,
       toString(b.time) AS time
ORDER BY root_label, root, depth, rel, to_label, to_key
