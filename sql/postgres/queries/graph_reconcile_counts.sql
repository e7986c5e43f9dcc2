-- Row counts of the tables `hartonomous audit reconcile` compares with the graph. A table that
-- does not exist (yet) counts as NULL instead of failing the query.
-- param tables: plain table names (resolved on the search_path, quoted by format's I-specifier).
SELECT t.name AS table_name,
       CASE WHEN to_regclass(t.name) IS NULL THEN NULL
            ELSE (xpath('/row/n/text()',
                        query_to_xml(format('SELECT count(*) AS n FROM %%I', t.name), false, true, '')))[1]::text::bigint
       END AS n
FROM unnest(%(tables)s::text[]) WITH ORDINALITY AS t(name, ord)
ORDER BY t.ord;
