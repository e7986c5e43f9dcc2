-- A stored model by name (id, file hash, format).
SELECT id, name, file_hash, format FROM models WHERE name = %(name)s
