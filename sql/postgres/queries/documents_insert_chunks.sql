-- Insert chunks; a chunk whose content hash is already stored is left as it is.
-- Returns the rows inserted now (existing ones are found with documents_by_hash).
INSERT INTO documents (source_uri, title, content, content_hash, category, metadata, chunk_index)
SELECT t.source_uri, t.title, t.content, t.content_hash, t.category, t.metadata, t.chunk_index
FROM unnest(
    %(source_uris)s::text[], %(titles)s::text[], %(contents)s::text[], %(content_hashes)s::text[],
    %(categories)s::text[], %(metadata)s::jsonb[], %(chunk_indexes)s::integer[]
) AS t(source_uri, title, content, content_hash, category, metadata, chunk_index)
ON CONFLICT (content_hash) DO NOTHING
RETURNING id, content_hash
