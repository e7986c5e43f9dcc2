"""Errors of the PostgreSQL store."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class StoreError(HartonomousError):
    """Base of the store's errors."""


class MigrationError(StoreError):
    """A migration failed, or an applied migration was edited afterwards."""


class SqlNotFoundError(StoreError):
    """No SQL file of that name exists under ``sql/postgres``."""
