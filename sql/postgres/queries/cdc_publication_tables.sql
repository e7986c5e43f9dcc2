SELECT p.pubname, t.schemaname, t.tablename
FROM pg_publication p
LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname
WHERE p.pubname = %(publication)s
