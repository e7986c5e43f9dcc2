-- Staging for chunks when a concurrent writer stored some of the same ones (merged ON CONFLICT).
CREATE TEMP TABLE IF NOT EXISTS stage_chunks (hash text, length integer, bytes bytea) ON COMMIT DROP
