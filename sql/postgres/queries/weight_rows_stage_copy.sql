COPY stage_weight_rows (content_hash, row_index, dim, weights, norm, importance) FROM STDIN (FORMAT BINARY)
