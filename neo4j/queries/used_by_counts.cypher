// How many inferences, embedding jobs and derived models used model M (all of them, not a page).
// params: $model
MATCH (m:Model {name: $model})
RETURN COUNT { (m)<-[:USED_MODEL]-() } AS inferences,
       COUNT { (m)<-[:USED]-(:EmbeddingJob) } AS embedding_jobs,
       COUNT { (m)<-[:WAS_DERIVED_FROM]-() } AS derived_models
