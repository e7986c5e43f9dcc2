-- Benchmarks/tests: staged texts into documents (the trigger computes content_hash).
INSERT INTO documents (source_uri, content, content_hash, category, chunk_index)
SELECT source_uri, content, '', category, chunk_index FROM bulk_stage
ON CONFLICT (content_hash) DO NOTHING
