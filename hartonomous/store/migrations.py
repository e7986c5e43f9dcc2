"""The migration runner: idempotent, ordered, checksummed, safe to run from many processes."""

from __future__ import annotations

import hashlib

import psycopg

from hartonomous.logging import get_logger
from hartonomous.store.exceptions import MigrationError
from hartonomous.store.sql_files import Migration

LOCK_KEY = 0x4A4E5448  # advisory lock id: serialises concurrent starters

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def checksum(migration: Migration) -> str:
    return hashlib.sha256(migration.sql.encode("utf-8")).hexdigest()


def apply_migrations(conn: psycopg.Connection, pending: list[Migration]) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction; return their names.

    An applied migration whose file changed since is an error: migrations are append-only.
    """
    log = get_logger("store.migrations")
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        conn.execute(_CREATE_TABLE)
        rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
        done = {version: (name, digest) for version, name, digest in rows}
        for migration in pending:
            digest = checksum(migration)
            if migration.version in done:
                if done[migration.version][1] != digest:
                    raise MigrationError(
                        f"migration {migration.name} was changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            with conn.transaction():
                try:
                    conn.execute(migration.sql)  # type: ignore[arg-type]  # trusted file
                except psycopg.Error as exc:
                    raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, digest),
                )
            applied_now.append(migration.name)
            log.info("migration_applied", migration=migration.name)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied_now
