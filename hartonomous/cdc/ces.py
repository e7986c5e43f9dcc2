"""SQL Server 2025 Change Event Streaming (``com.microsoft.SQL.CES.DML.V1``) into the change model.

The envelope (see ``reference/sqlserver-ces.md``): ``data`` is a JSON *string* holding
``{"eventsource": {...}, "eventrow": {"old": "<json>", "current": "<json>"}}``; ``old`` and
``current`` are JSON strings again, every column value rendered as text. Types come back from
``eventsource.cols[].type``, the key from ``pkkey``, ``commit_lsn``/``sequence`` from
``eventsource.transaction``.

The older documented shape has no ``transaction``; then ``commit_lsn``/``sequence`` are taken
from ``logicalid`` when it has the ``<guid>:<20 hex lsn>:<20 digit seq>`` form the samples show
(an observation, not a documented contract), and ``commit_time`` from the event's ``time``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hartonomous.cdc.exceptions import MalformedCesEventError
from hartonomous.cdc.model import Op, RowChange, SourceInfo
from hartonomous.cdc.segments import Segment, as_bool, as_int
from hartonomous.cdc.values import Row, from_mssql_text
from hartonomous.events import types
from hartonomous.events.model import format_time

_OPERATIONS: dict[str, Op] = {"INS": "insert", "UPD": "update", "DEL": "delete"}
_LOGICAL_ID = re.compile(r"^[0-9a-fA-F-]{36}:([0-9A-Fa-f]{20}):(\d+)$")


def is_ces(attributes: Mapping[str, Any]) -> bool:
    return str(attributes.get("type", "")).lower() == types.SQLSERVER_CES_DML.lower()


def segment_of(attributes: Mapping[str, Any], data: Any, raw: object = None) -> Segment | None:
    """The segment a CES event carries, or ``None`` when ``data`` is already a whole object."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedCesEventError(f"CES data is not UTF-8: {exc}") from exc
    if isinstance(data, Mapping):
        return None
    if not isinstance(data, str):
        raise MalformedCesEventError(f"CES 'data' must be a JSON string, got {type(data).__name__}")
    logical_id = str(attributes.get("logicalid") or attributes.get("id") or "")
    if not logical_id:
        raise MalformedCesEventError("CES event has neither 'logicalid' nor 'id'")
    attrs = {k: v for k, v in attributes.items() if k != "data"}
    if "segmentindex" in attributes:
        final = as_bool(attributes.get("finalsegment", True), "finalsegment")
        index = as_int(attributes["segmentindex"], "segmentindex")
        return Segment(logical_id, index, data, attrs, final=final, raw=raw)
    if "splitindex" in attributes:
        index = as_int(attributes["splitindex"], "splitindex")
        total = as_int(attributes.get("splittotalcnt", 1), "splittotalcnt")
        if total < 1:
            raise MalformedCesEventError(f"'splittotalcnt' must be at least 1, got {total}")
        return Segment(logical_id, index, data, attrs, total=total, raw=raw)
    return Segment(logical_id, 0, data, attrs, final=True, raw=raw)


def normalize_ces(attributes: Mapping[str, Any], data: Any) -> RowChange:
    """One complete CES event (``data`` as text or parsed) into a :class:`RowChange`."""
    payload = _json_object(data, "data")
    source = _member(payload, "eventsource", "data")
    row = _member(payload, "eventrow", "data")
    table = source.get("tbl")
    if not isinstance(table, str) or not table:
        raise MalformedCesEventError("data.eventsource.tbl is missing")
    col_types = _column_types(source.get("cols"))
    where = f"{source.get('schema', '')}.{table}"
    before = _typed_row(_json_object(row.get("old", "{}"), "eventrow.old"), col_types, where)
    after = _typed_row(_json_object(row.get("current", "{}"), "eventrow.current"), col_types, where)
    op = _operation(attributes.get("operation"), before, after)
    key = _key(source.get("pkkey"), col_types, where) or (after if op != "delete" else before) or {}
    commit_lsn, sequence, commit_time = _transaction(source.get("transaction"), attributes)
    info = SourceInfo(
        system="sqlserver-ces",
        db=str(source.get("db") or ""),
        schema=str(source.get("schema") or ""),
        table=table,
        commit_lsn=commit_lsn,
        sequence=sequence,
        commit_time=commit_time,
    )
    if op == "update" and after is None:
        raise MalformedCesEventError(f"{where}: UPD event with an empty 'current' row")
    if op == "insert" and after is None:
        raise MalformedCesEventError(f"{where}: INS event with an empty 'current' row")
    return RowChange(op=op, source=info, key=key, before=before, after=after)


def _json_object(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise MalformedCesEventError(f"CES {name} must be a JSON string, got {type(value).__name__}")
    try:
        parsed = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as exc:
        raise MalformedCesEventError(f"CES {name} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise MalformedCesEventError(f"CES {name} must hold a JSON object, got {type(parsed).__name__}")
    return parsed


def _member(obj: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    if name not in obj:
        raise MalformedCesEventError(f"CES {where} has no '{name}'")
    return _json_object(obj[name], f"{where}.{name}")


def _column_types(cols: Any) -> dict[str, str]:
    if cols is None:
        return {}
    if not isinstance(cols, list):
        raise MalformedCesEventError("data.eventsource.cols must be a list")
    types_by_name: dict[str, str] = {}
    for i, col in enumerate(cols):
        if not isinstance(col, Mapping) or not isinstance(col.get("name"), str):
            raise MalformedCesEventError(f"data.eventsource.cols[{i}] has no 'name'")
        types_by_name[col["name"]] = str(col.get("type") or "nvarchar")
    return types_by_name


def _typed_row(raw: dict[str, Any], col_types: Mapping[str, str], where: str) -> Row | None:
    if not raw:
        return None
    return {name: _typed(value, col_types.get(name, "nvarchar"), f"{where}.{name}") for name, value in raw.items()}


def _typed(value: Any, type_name: str, where: str) -> str | int | bool | None:
    try:
        return from_mssql_text(value, type_name)
    except (ValueError, ArithmeticError) as exc:
        raise MalformedCesEventError(f"{where}: value {value!r} does not fit type {type_name}: {exc}") from exc


def _key(pkkey: Any, col_types: Mapping[str, str], where: str) -> Row:
    if pkkey is None:
        return {}
    if not isinstance(pkkey, list):
        raise MalformedCesEventError("data.eventsource.pkkey must be a list")
    key: Row = {}
    for i, part in enumerate(pkkey):
        if not isinstance(part, Mapping) or not isinstance(part.get("columnname"), str):
            raise MalformedCesEventError(f"data.eventsource.pkkey[{i}] has no 'columnname'")
        name = part["columnname"]
        key[name] = _typed(part.get("value"), col_types.get(name, "nvarchar"), f"{where}.{name}")
    return key


def _operation(value: Any, before: Row | None, after: Row | None) -> Op:
    if value is not None:
        op = _OPERATIONS.get(str(value).upper())
        if op is None:
            raise MalformedCesEventError(f"CES 'operation' must be INS, UPD or DEL, got {value!r}")
        return op
    if before is None and after is not None:
        return "insert"
    if after is None and before is not None:
        return "delete"
    if after is not None:
        return "update"
    raise MalformedCesEventError("CES event has no 'operation' and neither an old nor a current row")


def _transaction(txn: Any, attributes: Mapping[str, Any]) -> tuple[str | None, int | None, str | None]:
    event_time = attributes.get("time")
    fallback_time = format_time(event_time) if isinstance(event_time, datetime) else (
        None if event_time is None else str(event_time)
    )
    if isinstance(txn, Mapping):
        seq = txn.get("sequencenumber")
        sequence = None if seq is None else as_int(seq, "transaction.sequencenumber")
        commit_lsn = txn.get("commitlsn")
        return (
            None if commit_lsn is None else str(commit_lsn),
            sequence,
            str(txn.get("committime") or fallback_time) if (txn.get("committime") or fallback_time) else None,
        )
    if txn is not None:
        raise MalformedCesEventError("data.eventsource.transaction must be an object")
    match = _LOGICAL_ID.match(str(attributes.get("logicalid") or ""))
    if match is None:
        return None, None, fallback_time
    lsn = match.group(1).upper()
    return f"{lsn[:8]}:{lsn[8:16]}:{lsn[16:]}", int(match.group(2)), fallback_time
