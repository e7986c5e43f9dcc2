-- Primary-key columns of a table, in key order.
SELECT a.attname
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
WHERE i.indrelid = to_regclass(%(table)s) AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
