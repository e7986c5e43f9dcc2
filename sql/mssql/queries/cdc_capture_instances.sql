-- Capture instances with their source table and the columns of their unique index, newest
-- instance first per table (a table may have two while its column set migrates).
SELECT OBJECT_SCHEMA_NAME(ct.source_object_id) AS source_schema,
       OBJECT_NAME(ct.source_object_id) AS source_table,
       ct.capture_instance,
       ct.create_date,
       ic.column_name,
       ic.index_ordinal
FROM cdc.change_tables AS ct
LEFT JOIN cdc.index_columns AS ic ON ic.object_id = ct.object_id
ORDER BY source_schema, source_table, ct.create_date DESC, ic.index_ordinal;
