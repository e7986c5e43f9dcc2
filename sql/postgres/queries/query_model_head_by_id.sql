-- A stored model's identity, config and hash algorithm, by id.
SELECT m.id, m.name, m.architecture, m.family, m.config, m.format,
       coalesce(m.chunking ->> 'hash', m.hash_algorithm, 'blake3') AS algorithm
FROM models m
WHERE m.id = %(id)s
