-- Benchmarks/tests: a staging table for a bulk load of documents (dropped at commit).
CREATE TEMP TABLE bulk_stage (source_uri text, content text, category text, chunk_index int) ON COMMIT DROP
