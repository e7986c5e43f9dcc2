-- The student's config.json beside its weights (what the export writes).
INSERT INTO model_files (model_id, path, kind, content, content_hash)
VALUES (%(model_id)s, 'config.json', 'sidecar', %(content)s, %(content_hash)s)
ON CONFLICT (model_id, path) DO UPDATE SET content = EXCLUDED.content, content_hash = EXCLUDED.content_hash
