-- The files stored with a model (config.json, tokenizer.json, sentence-transformers' configs).
SELECT path, content FROM model_files WHERE model_id = %(model_id)s
