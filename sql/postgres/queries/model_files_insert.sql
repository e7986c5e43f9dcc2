-- A file stored with a model (a sidecar such as config.json, or the GGUF key/values document).
INSERT INTO model_files (model_id, path, kind, content, content_hash)
VALUES (%(model_id)s, %(path)s, %(kind)s, %(content)s, %(content_hash)s)
