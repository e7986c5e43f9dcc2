"""Building blocks of the SQL Server CDC poller (``producers.mssql_cdc``).

Written against Microsoft's documentation of the CDC functions; no SQL Server runs here, so
the poller is tested with recorded result sets that follow the documented contract.
"""
