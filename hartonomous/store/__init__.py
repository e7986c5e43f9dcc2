"""PostgreSQL access: connections, the migration runner and named SQL."""

from __future__ import annotations

from hartonomous.store.connection import connect, connect_async, migrate, pg_url, queries
from hartonomous.store.exceptions import MigrationError, SqlNotFoundError, StoreError
from hartonomous.store.sql_files import Migration, Queries, migrations

__all__ = [
    "Migration",
    "MigrationError",
    "Queries",
    "SqlNotFoundError",
    "StoreError",
    "connect",
    "connect_async",
    "migrate",
    "migrations",
    "pg_url",
    "queries",
]
