-- The files stored with a model.
SELECT path, kind, content, content_hash FROM model_files WHERE model_id = %(model_id)s ORDER BY path
