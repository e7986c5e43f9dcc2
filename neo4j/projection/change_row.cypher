// A captured row change (change.enriched): an (:Ingestion) activity that USED the source
// (:Table), triggered by the event, associated with the service that published it.
// rows: {activity_id, props, time, table_key, table_props, event_id, service}
UNWIND $rows AS row
MERGE (t:Table {key: row.table_key})
  ON CREATE SET t += row.table_props
MERGE (a:Ingestion {id: row.activity_id})
  ON CREATE SET a += row.props, a.time = datetime(row.time)
MERGE (a)-[:USED]->(t)
MERGE (e:Event {id: row.event_id})
MERGE (a)-[:TRIGGERED_BY]->(e)
MERGE (s:Service {name: row.service})
MERGE (a)-[:WAS_ASSOCIATED_WITH]->(s)
