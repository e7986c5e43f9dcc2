-- Staging for weight rows when a concurrent writer stored rows of the same tensor content.
CREATE TEMP TABLE IF NOT EXISTS stage_weight_rows (
    content_hash text, row_index integer, dim integer, weights vector, norm real, importance real
) ON COMMIT DROP
