-- The documents holding these content hashes.
SELECT id, content_hash FROM documents WHERE content_hash = ANY(%(content_hashes)s::text[])
