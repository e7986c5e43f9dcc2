// A document row's change: the (:Document) WAS_GENERATED_BY the ingestion (insert, update,
// snapshot) or WAS_INVALIDATED_BY it (delete). Runs after change_row in the same transaction.
// rows: {activity_id, document_id, deleted, time, props}
UNWIND $rows AS row
MATCH (a:Ingestion {id: row.activity_id})
MERGE (d:Document {id: row.document_id})
SET d += row.props
FOREACH (_ IN CASE WHEN row.deleted THEN [1] ELSE [] END |
  SET d.deleted_at = datetime(row.time)
  MERGE (d)-[:WAS_INVALIDATED_BY]->(a))
FOREACH (_ IN CASE WHEN row.deleted THEN [] ELSE [1] END |
  REMOVE d.deleted_at
  MERGE (d)-[:WAS_GENERATED_BY]->(a))
