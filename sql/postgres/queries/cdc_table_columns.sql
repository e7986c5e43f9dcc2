-- Columns of a captured table, in order, with their type OIDs (for text -> typed values).
SELECT a.attname, a.atttypid::int
FROM pg_attribute a
WHERE a.attrelid = to_regclass(%(table)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
