// A query-side operation (an inference_requests row carried by CDC, or inference.logged):
// (:Inference)-[:USED_MODEL]->(:Model), -[:GENERATED_FROM]->(:Document) for the knowledge it
// drew on, associated with the service and the user, recorded in its source table if any.
// rows: {id, props, time, models, documents, user, table_key, table_props, event_id, service}
UNWIND $rows AS row
MERGE (i:Inference {id: row.id})
  ON CREATE SET i.time = datetime(row.time)
SET i += row.props
FOREACH (name IN row.models |
  MERGE (m:Model {name: name})
  MERGE (i)-[:USED_MODEL]->(m))
FOREACH (doc IN row.documents |
  MERGE (d:Document {id: doc})
  MERGE (i)-[:GENERATED_FROM]->(d))
FOREACH (user IN CASE WHEN row.user IS NULL THEN [] ELSE [row.user] END |
  MERGE (u:User {name: user})
  MERGE (i)-[:WAS_ASSOCIATED_WITH]->(u))
FOREACH (key IN CASE WHEN row.table_key IS NULL THEN [] ELSE [row.table_key] END |
  MERGE (t:Table {key: key})
    ON CREATE SET t += row.table_props
  MERGE (i)-[:RECORDED_IN]->(t))
MERGE (e:Event {id: row.event_id})
MERGE (i)-[:TRIGGERED_BY]->(e)
MERGE (s:Service {name: row.service})
MERGE (i)-[:WAS_ASSOCIATED_WITH]->(s)
