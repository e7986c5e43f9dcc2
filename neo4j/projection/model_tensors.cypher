// (:Layer)-[:HAS_TENSOR]->(:Tensor) with the tensor's content hash (never its weights); a tensor
// outside the layer stack (embeddings, final norm, head) hangs off the (:Model) directly.
// rows: {model, key, layer_key, props}
UNWIND $rows AS row
MERGE (t:Tensor {key: row.key})
SET t += row.props
FOREACH (layer IN CASE WHEN row.layer_key IS NULL THEN [] ELSE [row.layer_key] END |
  MERGE (l:Layer {key: layer})
  MERGE (l)-[:HAS_TENSOR]->(t))
FOREACH (_ IN CASE WHEN row.layer_key IS NULL THEN [1] ELSE [] END |
  MERGE (m:Model {name: row.model})
  MERGE (m)-[:HAS_TENSOR]->(t))
