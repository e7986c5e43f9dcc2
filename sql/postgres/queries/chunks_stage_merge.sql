-- Insert the staged chunks that are not stored yet; returns how many and how many bytes.
WITH inserted AS (
    INSERT INTO chunks (hash, length, bytes)
    SELECT DISTINCT ON (hash) hash, length, bytes FROM stage_chunks
    ON CONFLICT (hash) DO NOTHING
    RETURNING length
)
SELECT count(*), coalesce(sum(length), 0)::bigint FROM inserted
