"""The narrow port the poller reads SQL Server through, and what it returns.

The pyodbc adapter (:mod:`producers.mssql.pyodbc_db`) implements it against a live server;
tests implement it with recorded result sets. Methods are synchronous (pyodbc is); the poller
calls them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hartonomous.cdc import SourceError

META_PREFIX = "__$"
COMMIT_TIME_COLUMN = "__hartonomous_commit_time"


class LsnOutOfRangeError(SourceError):
    """Msg 313 from ``fn_cdc_get_all_changes_*``: a bound outside the capture instance's range
    (SQL Server words it as "an insufficient number of arguments")."""


@dataclass(frozen=True, slots=True)
class CaptureInstance:
    schema: str
    table: str
    name: str
    key_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChangeRows:
    """The result set of ``cdc.fn_cdc_get_all_changes_<instance>`` plus the mapped commit time:
    ``__$start_lsn``, ``__$seqval``, ``__$operation``, ``__$update_mask``, captured columns."""

    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class CdcDatabase(Protocol):
    def database_name(self) -> str: ...

    def capture_instances(self) -> list[CaptureInstance]: ...

    def max_lsn(self) -> bytes | None: ...

    def min_lsn(self, instance: str) -> bytes: ...

    def increment_lsn(self, lsn: bytes) -> bytes: ...

    def all_changes(self, instance: str, from_lsn: bytes, to_lsn: bytes) -> ChangeRows:
        """Raise :class:`LsnOutOfRangeError` on Msg 313."""
        ...

    def close(self) -> None: ...


def is_msg_313(message: str) -> bool:
    """The driver's text for Msg 313 (``... (313) (SQLExecDirectW)``)."""
    lowered = message.lower()
    return "(313)" in lowered or "insufficient number of arguments" in lowered


def commit_time_text(value: Any) -> str | None:
    """``fn_cdc_map_lsn_to_time`` gives the server's local time, without a zone."""
    return value.isoformat() if isinstance(value, datetime) else (None if value is None else str(value))
