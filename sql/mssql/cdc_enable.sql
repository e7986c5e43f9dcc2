-- Enable classic CDC for the tables `hartonomous run cdc-mssql` reads (SQL Server 2025).
-- Run with sqlcmd in the project's database. Written against Microsoft's documentation
-- (sys.sp_cdc_enable_db, sys.sp_cdc_enable_table); not run against a live server here.
--
-- Requirements: sysadmin for sp_cdc_enable_db, db_owner for sp_cdc_enable_table, SQL Server
-- Agent running (capture and cleanup jobs). CDC and Change Event Streaming cannot both be
-- enabled on one database: use this script or ces_enable.sql, not both.
-- Tables that do not exist (yet) are skipped with a message.
SET NOCOUNT ON;

IF (SELECT is_cdc_enabled FROM sys.databases WHERE name = DB_NAME()) = 0
    EXEC sys.sp_cdc_enable_db;

DECLARE @tables TABLE (schema_name sysname, table_name sysname);
INSERT INTO @tables VALUES (N'dbo', N'documents'), (N'dbo', N'models'), (N'dbo', N'inference_requests');

DECLARE @schema sysname, @table sysname;
DECLARE c CURSOR LOCAL FAST_FORWARD FOR SELECT schema_name, table_name FROM @tables;
OPEN c;
FETCH NEXT FROM c INTO @schema, @table;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF OBJECT_ID(QUOTENAME(@schema) + N'.' + QUOTENAME(@table), N'U') IS NULL
        PRINT N'skipped (no such table): ' + @schema + N'.' + @table;
    ELSE IF EXISTS (SELECT 1 FROM sys.tables WHERE object_id = OBJECT_ID(QUOTENAME(@schema) + N'.' + QUOTENAME(@table))
                    AND is_tracked_by_cdc = 1)
        PRINT N'already captured: ' + @schema + N'.' + @table;
    ELSE
        -- capture instance <schema>_<table>; the poller reads every instance it finds
        EXEC sys.sp_cdc_enable_table
            @source_schema = @schema,
            @source_name = @table,
            @role_name = NULL,
            @supports_net_changes = 0;
    FETCH NEXT FROM c INTO @schema, @table;
END
CLOSE c;
DEALLOCATE c;

-- Retention defaults to 3 days (4320 minutes). A poller stopped longer than this loses changes
-- and reports it as data loss; raise it if the poller may be down longer:
-- EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = 10080;
