-- Insert the staged weight rows that are not stored yet; returns how many.
WITH inserted AS (
    INSERT INTO weight_rows (content_hash, row_index, dim, weights, norm, importance)
    SELECT content_hash, row_index, dim, weights, norm, importance FROM stage_weight_rows
    ON CONFLICT (content_hash, row_index) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
