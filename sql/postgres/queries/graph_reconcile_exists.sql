-- Which of the tables `hartonomous audit reconcile` counts exist (yet), on the search_path.
-- param tables: plain table names.
SELECT t.name AS table_name
FROM unnest(%(tables)s::text[]) AS t(name)
WHERE to_regclass(t.name) IS NOT NULL;
