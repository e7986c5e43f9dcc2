COPY tensors (id, model_id, layer_id, ordinal, name, component, role, part, param, dtype, shape, numel,
              nbytes, quant_type, block_size, block_bytes, mean, std, min, max, l2, nonfinite,
              importance, content_hash)
FROM STDIN (FORMAT BINARY)
