// embedding.created: (:Embedding)-[:EMBEDS]->(:Document), -[:WAS_GENERATED_BY]->(:EmbeddingJob)
// that USED the embedder (:Model) and the document. The job is keyed by what it computed
// (document, embedder, content hash), so an upstream duplicate of the event adds nothing.
// rows: {job_id, embedding_id, document_id, embedder, content_hash, dimension, props, time,
//        event_id, service}
UNWIND $rows AS row
MERGE (d:Document {id: row.document_id})
MERGE (m:Model {name: row.embedder})
MERGE (j:EmbeddingJob {id: row.job_id})
  ON CREATE SET j.content_hash = row.content_hash, j.dimension = row.dimension,
                j.time = datetime(row.time)
MERGE (j)-[:USED]->(m)
MERGE (j)-[:USED]->(d)
MERGE (x:Embedding {id: row.embedding_id})
SET x += row.props, x.document_id = row.document_id, x.embedder = row.embedder,
    x.content_hash = row.content_hash, x.dimension = row.dimension
MERGE (x)-[:EMBEDS]->(d)
MERGE (x)-[:WAS_GENERATED_BY]->(j)
MERGE (e:Event {id: row.event_id})
MERGE (j)-[:TRIGGERED_BY]->(e)
MERGE (s:Service {name: row.service})
MERGE (j)-[:WAS_ASSOCIATED_WITH]->(s)
