// (:Model)-[:HAS_LAYER]->(:Layer), one row per layer named in a model's tensor list.
// rows: {model, key, name, index}
UNWIND $rows AS row
MERGE (m:Model {name: row.model})
MERGE (l:Layer {key: row.key})
SET l.name = row.name, l.index = row.index, l.model = row.model
MERGE (m)-[:HAS_LAYER]->(l)
