COPY vocab_tokens (model_id, token_id, token) FROM STDIN (FORMAT BINARY)
