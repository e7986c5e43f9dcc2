"""Value typing rules of the change model, one function per kind of input.

The rules (issue 3): integers are JSON numbers, booleans are booleans, numeric/decimal are exact
strings, dates and times are ISO-8601 strings, bytes are base64, everything else is a string
(floats included: their text form is exact, a JSON number might not be). ``None`` stays null.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeAlias

Value: TypeAlias = str | int | bool | None
Row: TypeAlias = dict[str, Value]

# -- Python values (pyodbc rows, already typed by the driver) ---------------------------------


def from_python(value: object) -> Value:
    """Type a value a database driver returned."""
    if value is None or isinstance(value, (bool, str)):
        return value  # type: ignore[return-value]
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (uuid.UUID, timedelta)):
        return str(value)
    return str(value)


# -- SQL Server type names (CES renders every value as a string) ------------------------------

_MSSQL_INT = frozenset({"int", "bigint", "smallint", "tinyint"})
_MSSQL_EXACT = frozenset({"decimal", "numeric", "money", "smallmoney"})
_MSSQL_DATETIME = frozenset({"datetime", "datetime2", "smalldatetime", "datetimeoffset"})
_MSSQL_BINARY = frozenset({"binary", "varbinary", "image", "timestamp", "rowversion"})
_TYPE_BASE = re.compile(r"^\s*([A-Za-z0-9_]+)")


def mssql_base_type(type_name: str) -> str:
    """``nvarchar(50)`` -> ``nvarchar``; ``DateTime2(7)`` -> ``datetime2``."""
    match = _TYPE_BASE.match(type_name)
    return match.group(1).lower() if match else type_name.strip().lower()


def from_mssql_text(text: object, type_name: str) -> Value:
    """Type a value CES rendered as text, from the column's SQL Server type name.

    Raises :class:`ValueError` (with the value) when the text does not fit the type.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        if isinstance(text, bool) or isinstance(text, int):
            text = str(int(text)) if isinstance(text, bool) else str(text)
        else:
            text = str(text)
    base = mssql_base_type(type_name)
    if base in _MSSQL_INT:
        return int(text)
    if base == "bit":
        lowered = text.strip().lower()
        if lowered in {"1", "true"}:
            return True
        if lowered in {"0", "false"}:
            return False
        raise ValueError(f"not a bit: {text!r}")
    if base in _MSSQL_EXACT:
        return format(Decimal(text.strip()), "f")
    if base in _MSSQL_DATETIME:
        return _iso_datetime(text)
    if base in _MSSQL_BINARY:
        return _mssql_binary(text)
    return text


def _mssql_binary(text: str) -> str:
    """CES renders binary as ``0x...`` hex (or already base64); we carry base64."""
    if text[:2] in {"0x", "0X"}:
        return base64.b64encode(bytes.fromhex(text[2:])).decode("ascii")
    base64.b64decode(text, validate=True)
    return text


_DATETIME_TEXT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def _iso_datetime(text: str) -> str:
    """``2026-08-07 16:25:00.8833333 +02:00`` -> ``2026-08-07T16:25:00.8833333+02:00``.

    Done on the text, not through :class:`datetime`, so 7 fractional digits survive exactly.
    """
    match = _DATETIME_TEXT.match(text.strip())
    if match is None:
        raise ValueError(f"not a date-time: {text!r}")
    day, clock, zone = match.groups()
    return f"{day}T{clock}{_iso_zone(zone)}"


def _iso_zone(zone: str | None) -> str:
    if not zone:
        return ""
    if zone == "Z":
        return "+00:00"
    sign, digits = zone[0], zone[1:].replace(":", "")
    return f"{sign}{digits[:2]}:{digits[2:4] or '00'}"


# -- PostgreSQL type OIDs (pgoutput text format, and snapshots selected as ::text) ------------

PG_INT_OIDS = frozenset({20, 21, 23, 26})  # int8, int2, int4, oid
PG_BOOL_OID = 16
PG_BYTEA_OID = 17
PG_TIMESTAMP_OIDS = frozenset({1114, 1184})  # timestamp, timestamptz
PG_TIME_OIDS = frozenset({1083, 1266})  # time, timetz (already ISO with DateStyle=ISO)


def from_pg_text(text: str | None, type_oid: int) -> Value:
    """Type a PostgreSQL value from its text output (DateStyle=ISO, bytea_output=hex)."""
    if text is None:
        return None
    if type_oid in PG_INT_OIDS:
        return int(text)
    if type_oid == PG_BOOL_OID:
        return text == "t"
    if type_oid == PG_BYTEA_OID:
        if not text.startswith("\\x"):
            raise ValueError("bytea is not in hex output format (set bytea_output=hex)")
        return base64.b64encode(bytes.fromhex(text[2:])).decode("ascii")
    if type_oid in PG_TIMESTAMP_OIDS:
        try:
            return _iso_datetime(text)
        except ValueError:
            return text  # infinity, -infinity, BC dates: carried as PostgreSQL wrote them
    return text
