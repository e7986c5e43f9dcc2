"""The :class:`CdcDatabase` port over pyodbc (SQL in ``sql/mssql/queries``, loaded by name).

Written against Microsoft's documentation of the CDC functions and catalog tables
(``cdc.change_tables``, ``cdc.index_columns``); it has not met a live SQL Server here.
pyodbc needs the unixODBC library and a SQL Server ODBC driver on the host; it is imported
only when this adapter is used.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from hartonomous.cdc import SourceError
from producers.mssql.port import CaptureInstance, ChangeRows, LsnOutOfRangeError, is_msg_313

INSTANCE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@cache
def _sql(queries_dir: Path, name: str) -> str:
    return (queries_dir / f"{name}.sql").read_text(encoding="utf-8")


class PyodbcCdcDatabase:
    """One autocommit pyodbc connection; every statement parameterised."""

    def __init__(self, connection_string: str, queries_dir: Path) -> None:
        try:
            import pyodbc
        except ImportError as exc:  # libodbc.so missing, or pyodbc not installed
            raise SourceError(f"pyodbc is not usable here: {exc}") from exc
        if not connection_string:
            raise SourceError("HARTONOMOUS_CDC_MSSQL_ODBC (an ODBC connection string) is not set")
        self._pyodbc: Any = pyodbc
        self._dir = queries_dir
        self._conn = pyodbc.connect(connection_string, autocommit=True)
        self._instances: set[str] = set()

    def _scalar(self, name: str, *params: Any) -> Any:
        row = self._conn.cursor().execute(_sql(self._dir, name), *params).fetchone()
        return None if row is None else row[0]

    def database_name(self) -> str:
        return str(self._scalar("cdc_database_name"))

    def capture_instances(self) -> list[CaptureInstance]:
        rows = self._conn.cursor().execute(_sql(self._dir, "cdc_capture_instances")).fetchall()
        keys: dict[str, list[str]] = {}
        meta: dict[str, tuple[str, str]] = {}
        newest: dict[tuple[str, str], str] = {}
        for schema, table, instance, _created, column, _ordinal in rows:
            meta[instance] = (schema, table)
            newest.setdefault((schema, table), instance)  # ordered newest first
            if column is not None:
                keys.setdefault(instance, []).append(column)
        chosen = [
            CaptureInstance(schema, table, instance, tuple(keys.get(instance, [])))
            for (schema, table), instance in newest.items()
        ]
        self._instances = {c.name for c in chosen}
        return chosen

    def max_lsn(self) -> bytes | None:
        value = self._scalar("cdc_max_lsn")
        return None if value is None else bytes(value)

    def min_lsn(self, instance: str) -> bytes:
        return bytes(self._scalar("cdc_min_lsn", instance))

    def increment_lsn(self, lsn: bytes) -> bytes:
        return bytes(self._scalar("cdc_increment_lsn", lsn))

    def all_changes(self, instance: str, from_lsn: bytes, to_lsn: bytes) -> ChangeRows:
        if instance not in self._instances or not INSTANCE_NAME.match(instance):
            raise SourceError(f"unknown capture instance {instance!r}")
        text = _sql(self._dir, "cdc_all_changes").replace("{capture_instance}", instance)
        try:
            cursor = self._conn.cursor().execute(text, from_lsn, to_lsn)
        except self._pyodbc.Error as exc:
            if is_msg_313(str(exc)):
                raise LsnOutOfRangeError(f"{instance}: LSN window outside the capture instance (Msg 313)") from exc
            raise
        columns = tuple(d[0] for d in cursor.description)
        return ChangeRows(columns, cursor.fetchall())

    def close(self) -> None:
        self._conn.close()
