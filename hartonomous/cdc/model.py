"""The change model: the ``data`` of ``com.hartonomous.cdc.row.changed.v1``.

Every source (PostgreSQL logical replication, SQL Server CES, the SQL Server CDC poller) is
normalised into :class:`RowChange`. Its JSON form is exactly::

    {"op": "insert"|"update"|"delete"|"snapshot",
     "source": {"system", "db", "schema", "table", "commit_lsn", "sequence", "commit_time"},
     "key": {...primary-key columns...}, "before": {...}|null, "after": {...}|null}

``(source.system, source.db, source.commit_lsn, source.sequence)`` identifies a change: a
replay after a crash repeats it with the same values (and the same event id).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias, get_args

from hartonomous.cdc.exceptions import InvalidChangeError
from hartonomous.cdc.values import Row, Value
from hartonomous.events import Event, new_event, types

Op: TypeAlias = Literal["insert", "update", "delete", "snapshot"]
System: TypeAlias = Literal["postgres", "sqlserver-ces", "sqlserver-cdc"]
OPS: Final = frozenset(get_args(Op))
SYSTEMS: Final = frozenset(get_args(System))
_EVENT_ID_NAMESPACE: Final = uuid.UUID("5d0c6a55-5a4e-4d43-9a39-0b6c1c0de0c3")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where and when a change happened."""

    system: System
    db: str
    schema: str
    table: str
    commit_lsn: str | None = None
    sequence: int | str | None = None
    commit_time: str | None = None

    @property
    def entity(self) -> str:
        """``schema.table`` (just ``table`` when the source has no schema)."""
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def to_data(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "db": self.db,
            "schema": self.schema,
            "table": self.table,
            "commit_lsn": self.commit_lsn,
            "sequence": self.sequence,
            "commit_time": self.commit_time,
        }


@dataclass(frozen=True)
class RowChange:
    """One row changed: the operation, where, the primary key, and the row before/after."""

    op: Op
    source: SourceInfo
    key: Row
    before: Row | None = None
    after: Row | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise InvalidChangeError(f"op must be one of {sorted(OPS)}, got {self.op!r}")
        if self.op in {"insert", "snapshot"} and self.after is None:
            raise InvalidChangeError(f"{self.op} of {self.source.entity} has no 'after' row")
        if self.op in {"insert", "snapshot"} and self.before is not None:
            raise InvalidChangeError(f"{self.op} of {self.source.entity} cannot have a 'before' row")
        if self.op == "delete" and self.after is not None:
            raise InvalidChangeError(f"delete of {self.source.entity} cannot have an 'after' row")
        if self.op == "delete" and self.before is None and not self.key:
            raise InvalidChangeError(f"delete of {self.source.entity} has neither key nor 'before'")
        if self.op == "update" and self.after is None:
            raise InvalidChangeError(f"update of {self.source.entity} has no 'after' row")

    @cached_property
    def kafka_key(self) -> str:
        """``schema.table`` plus the primary key: one row's changes share a partition."""
        return f"{self.source.entity}:{canonical_json(self.key)}"

    @cached_property
    def event_id(self) -> str:
        """Deterministic: a replayed change carries the same id as its first delivery."""
        s = self.source
        name = "|".join(
            str(part)
            for part in (s.system, s.db, s.entity, s.commit_lsn, s.sequence, self.op, self.kafka_key)
        )
        return str(uuid.uuid5(_EVENT_ID_NAMESPACE, name))

    def to_data(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "source": self.source.to_data(),
            "key": dict(self.key),
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
        }

    @classmethod
    def from_data(cls, data: object) -> RowChange:
        """Read the JSON ``data`` back; raise :class:`InvalidChangeError` naming what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidChangeError(f"change data must be an object, got {type(data).__name__}")
        missing = [k for k in ("op", "source", "key", "before", "after") if k not in data]
        if missing:
            raise InvalidChangeError(f"change data lacks {missing}")
        src = data["source"]
        if not isinstance(src, Mapping):
            raise InvalidChangeError("'source' must be an object")
        if src.get("system") not in SYSTEMS:
            raise InvalidChangeError(f"source.system must be one of {sorted(SYSTEMS)}")
        if not isinstance(src.get("table"), str) or not src["table"]:
            raise InvalidChangeError("source.table must be a non-empty string")
        source = SourceInfo(
            system=src["system"],
            db=str(src.get("db") or ""),
            schema=str(src.get("schema") or ""),
            table=src["table"],
            commit_lsn=src.get("commit_lsn"),
            sequence=src.get("sequence"),
            commit_time=src.get("commit_time"),
        )
        return cls(
            op=data["op"],
            source=source,
            key=_row(data["key"], "key"),
            before=None if data["before"] is None else _row(data["before"], "before"),
            after=None if data["after"] is None else _row(data["after"], "after"),
        )

    def to_event(self, *, source_uri: str, time: datetime | None = None) -> Event:
        """The CloudEvent carrying this change (``time`` defaults to now)."""
        return new_event(
            types.CDC_ROW_CHANGED,
            self.to_data(),
            source=source_uri,
            subject=self.source.entity,
            event_id=self.event_id,
            time=time,
            extensions={
                "partitionkey": self.kafka_key,
                "operation": self.op,
                "entity": self.source.entity,
            },
        )


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row(value: object, name: str) -> Row:
    if not isinstance(value, Mapping):
        raise InvalidChangeError(f"'{name}' must be an object")
    row: dict[str, Value] = {}
    for column, item in value.items():
        if item is not None and not isinstance(item, (str, int, bool)):
            raise InvalidChangeError(
                f"'{name}.{column}' must be a string, integer, boolean or null, "
                f"got {type(item).__name__}"
            )
        row[str(column)] = item
    return row
