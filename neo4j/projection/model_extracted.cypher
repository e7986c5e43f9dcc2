// model.extracted: the student (:Model) WAS_DERIVED_FROM {method} its parent and
// WAS_GENERATED_BY an (:Extraction) that USED the parent.
// rows: {name, model_props, parent, method, activity_id, activity_props, time, event_id, service}
UNWIND $rows AS row
MERGE (m:Model {name: row.name})
SET m += row.model_props
MERGE (p:Model {name: row.parent})
MERGE (m)-[r:WAS_DERIVED_FROM]->(p)
SET r.method = row.method
MERGE (a:Extraction {id: row.activity_id})
  ON CREATE SET a += row.activity_props, a.time = datetime(row.time)
MERGE (m)-[:WAS_GENERATED_BY]->(a)
MERGE (a)-[:USED]->(p)
MERGE (e:Event {id: row.event_id})
MERGE (a)-[:TRIGGERED_BY]->(e)
MERGE (s:Service {name: row.service})
MERGE (a)-[:WAS_ASSOCIATED_WITH]->(s)
