// model.decomposed: the (:Model) WAS_GENERATED_BY a (:Decomposition) of its source file (URI and
// file hash on the activity), and WAS_DERIVED_FROM its base model when the event names one.
// rows: {name, model_props, activity_id, activity_props, time, parent, method, event_id, service}
UNWIND $rows AS row
MERGE (m:Model {name: row.name})
SET m += row.model_props
MERGE (a:Decomposition {id: row.activity_id})
  ON CREATE SET a += row.activity_props, a.time = datetime(row.time)
MERGE (m)-[:WAS_GENERATED_BY]->(a)
FOREACH (parent IN CASE WHEN row.parent IS NULL THEN [] ELSE [row.parent] END |
  MERGE (p:Model {name: parent})
  MERGE (m)-[r:WAS_DERIVED_FROM]->(p)
  SET r.method = row.method)
MERGE (e:Event {id: row.event_id})
MERGE (a)-[:TRIGGERED_BY]->(e)
MERGE (s:Service {name: row.service})
MERGE (a)-[:WAS_ASSOCIATED_WITH]->(s)
