"""Connections to the store. No module-level pools: callers open and close what they use."""

from __future__ import annotations

from pathlib import Path

import psycopg

from hartonomous.config import Settings
from hartonomous.store.migrations import apply_migrations
from hartonomous.store.sql_files import Queries, migrations


def pg_url(settings: Settings) -> str:
    """The URL of the configured server (``HARTONOMOUS_PG_URL``) or of the embedded one."""
    from hartonomous.stack.postgres import resolve_pg_url

    return resolve_pg_url(settings)


def sql_dir(settings: Settings) -> Path:
    return settings.project_root / "sql" / "postgres"


def queries(settings: Settings) -> Queries:
    return Queries(sql_dir(settings) / "queries")


def connect(settings: Settings, *, autocommit: bool = True) -> psycopg.Connection:
    """A synchronous connection (register pgvector types yourself if you need them)."""
    return psycopg.connect(pg_url(settings), autocommit=autocommit)


async def connect_async(settings: Settings, *, autocommit: bool = False) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(pg_url(settings), autocommit=autocommit)


def migrate(settings: Settings) -> list[str]:
    """Bring the schema up to date; returns the names of the migrations applied now."""
    with connect(settings, autocommit=True) as conn:
        return apply_migrations(conn, migrations(sql_dir(settings)))
