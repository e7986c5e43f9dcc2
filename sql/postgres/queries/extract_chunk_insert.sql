-- A chunk of a sliced tensor; a chunk with these bytes stored already is shared, not copied.
INSERT INTO chunks (hash, length, bytes) VALUES (%(hash)s, %(length)s, %(bytes)s)
ON CONFLICT (hash) DO NOTHING
