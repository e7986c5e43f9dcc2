// Uniqueness constraints for every node key, and the lookup indexes the audit queries use.
// Applied by hartonomous.graph.GraphClient.setup() on every start (idempotent: IF NOT EXISTS).
// One statement per line group, separated by ';'.

// PROV entities
CREATE CONSTRAINT document_id IF NOT EXISTS FOR (n:Document) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT embedding_id IF NOT EXISTS FOR (n:Embedding) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (n:Model) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT layer_key IF NOT EXISTS FOR (n:Layer) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT tensor_key IF NOT EXISTS FOR (n:Tensor) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT table_key IF NOT EXISTS FOR (n:Table) REQUIRE n.key IS UNIQUE;

// PROV activities
CREATE CONSTRAINT ingestion_id IF NOT EXISTS FOR (n:Ingestion) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT embedding_job_id IF NOT EXISTS FOR (n:EmbeddingJob) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT decomposition_id IF NOT EXISTS FOR (n:Decomposition) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT inference_id IF NOT EXISTS FOR (n:Inference) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT extraction_id IF NOT EXISTS FOR (n:Extraction) REQUIRE n.id IS UNIQUE;

// PROV agents
CREATE CONSTRAINT service_name IF NOT EXISTS FOR (n:Service) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT user_name IF NOT EXISTS FOR (n:User) REQUIRE n.name IS UNIQUE;

// events that caused something, and the projector's own offsets (exactly-once)
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT offset_key IF NOT EXISTS FOR (n:Offset) REQUIRE n.key IS UNIQUE;

// lookups of the audit library
CREATE INDEX tensor_content_hash IF NOT EXISTS FOR (n:Tensor) ON (n.content_hash);
CREATE INDEX tensor_model IF NOT EXISTS FOR (n:Tensor) ON (n.model);
CREATE INDEX event_time IF NOT EXISTS FOR (n:Event) ON (n.time);
CREATE INDEX document_content_hash IF NOT EXISTS FOR (n:Document) ON (n.content_hash);
