-- 'd' default, 'f' full, 'i' index, 'n' nothing; no row when the table does not exist.
SELECT c.relreplident::text FROM pg_class c WHERE c.oid = to_regclass(%(table)s)
