// How many inferences, embeddings and derived models used model M (all of them, not a page).
// params: $model
MATCH (m:Model {name: $model})
RETURN COUNT { (:Inference)-[:USED_MODEL]->(m) } AS inferences,
       COUNT { MATCH (x:Embedding)-[:WAS_GENERATED_BY]->(:EmbeddingJob)-[:USED]->(m) RETURN DISTINCT x } AS embeddings,
       COUNT { (:Model)-[:WAS_DERIVED_FROM]->(m) } AS derived_models
