-- Enable SQL Server 2025 Change Event Streaming (preview) for the project's tables, publishing
-- to Azure Event Hubs over the Kafka protocol. The events arrive on the hub in Microsoft's
-- envelope (com.microsoft.SQL.CES.DML.V1) and are normalised by hartonomous.cdc.
-- Written against Microsoft's documentation; not run against a live server here.
--
-- sqlcmd variables (sqlcmd -v NAME="value" ...):
--   StreamGroup         e.g. hartonomous
--   DestinationType     AzureEventHubsApacheKafka (SQL Server 2025) or AzureEventHubs (Azure SQL, Fabric)
--   DestinationLocation <namespace>.servicebus.windows.net:9093/<hub>
--   CredentialName      name of the database scoped credential
--   SasKeyName          the Event Hubs shared access policy name
--   SasKey              its key
--   MasterKeyPassword   for the database master key, if none exists yet
-- Requirements: FULL recovery model; CDC must not be enabled on this database.
-- Windows only for SQL Server 2025 (not SQL Server on Linux).
SET NOCOUNT ON;

ALTER DATABASE SCOPED CONFIGURATION SET PREVIEW_FEATURES = ON;

IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##')
    CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'$(MasterKeyPassword)';

IF NOT EXISTS (SELECT 1 FROM sys.database_scoped_credentials WHERE name = N'$(CredentialName)')
    CREATE DATABASE SCOPED CREDENTIAL [$(CredentialName)]
        WITH IDENTITY = N'$(SasKeyName)', SECRET = N'$(SasKey)';

EXEC sys.sp_enable_event_stream;

-- Table partitioning keeps per-table order; the reader also reassembles split events, so the
-- message size may stay at the default 256 KB.
EXEC sys.sp_create_event_stream_group
    @stream_group_name = N'$(StreamGroup)',
    @destination_type = N'$(DestinationType)',
    @destination_location = N'$(DestinationLocation)',
    @destination_credential = [$(CredentialName)],
    @partition_key_scheme = N'Table',
    @encoding = N'JSON';

-- include_old_values gives the change model its 'before' row on updates and deletes.
IF OBJECT_ID(N'dbo.documents', N'U') IS NOT NULL
    EXEC sys.sp_add_object_to_event_stream_group N'$(StreamGroup)', N'dbo.documents',
        @include_all_columns = 1, @include_old_values = 1, @include_old_lob_values = 1;
IF OBJECT_ID(N'dbo.models', N'U') IS NOT NULL
    EXEC sys.sp_add_object_to_event_stream_group N'$(StreamGroup)', N'dbo.models',
        @include_all_columns = 1, @include_old_values = 1, @include_old_lob_values = 1;
IF OBJECT_ID(N'dbo.inference_requests', N'U') IS NOT NULL
    EXEC sys.sp_add_object_to_event_stream_group N'$(StreamGroup)', N'dbo.inference_requests',
        @include_all_columns = 1, @include_old_values = 1, @include_old_lob_values = 1;
