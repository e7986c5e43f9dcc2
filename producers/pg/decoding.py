"""pgoutput messages into :class:`RowChange` values, one transaction at a time.

- ``commit_lsn`` is the transaction's commit LSN (from Begin), ``sequence`` the change's ordinal
  in it (from 1), ``commit_time`` the commit timestamp: a replay repeats all three.
- ``key`` uses the table's primary key from the catalog (with REPLICA IDENTITY FULL the
  Relation message marks every column as key, so its flags are only the fallback).
- TOAST values the update did not touch (``'u'``) are filled in from the old tuple, which
  REPLICA IDENTITY FULL logs complete and detoasted. A ``'u'`` that cannot be filled is an
  error: a placeholder never reaches Kafka.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeAlias

from hartonomous.cdc import ChangeCaptureError, RowChange, SourceInfo
from hartonomous.cdc.values import Row, Value, from_pg_text
from producers.pg.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Commit,
    Delete,
    Insert,
    Message,
    PgOutputMessage,
    Relation,
    TupleValue,
    Update,
    format_lsn,
)

HEARTBEAT_PREFIX = "hartonomous.heartbeat"
PrimaryKeyLookup: TypeAlias = Callable[[str, str], tuple[str, ...]]


class UnresolvedToastError(ChangeCaptureError):
    """An unchanged TOAST value with no old value to fill it from (REPLICA IDENTITY not FULL)."""


class DecodingError(ChangeCaptureError):
    """The stream broke pgoutput's rules (a change outside a transaction, an unknown relation)."""


@dataclass(frozen=True, slots=True)
class Committed:
    """A transaction ended: everything up to ``end_lsn`` may be confirmed once it is on Kafka."""

    end_lsn: int
    changes: int


Decoded: TypeAlias = RowChange | Committed


class TransactionDecoder:
    """Stateful: remembers relations and the open transaction."""

    def __init__(self, db: str, primary_key: PrimaryKeyLookup) -> None:
        self._db = db
        self._primary_key = primary_key
        self._relations: dict[int, Relation] = {}
        self._keys: dict[int, tuple[str, ...]] = {}
        self._begin: Begin | None = None
        self._sequence = 0

    @property
    def in_transaction(self) -> bool:
        return self._begin is not None

    def feed(self, message: PgOutputMessage) -> list[Decoded]:
        """What one message yields: nothing, a commit, or row changes (two for an update that
        changed the primary key: a delete of the old key, then an insert of the new one, so each
        key's changes stay in one partition and in order)."""
        if isinstance(message, Begin):
            self._begin, self._sequence = message, 0
            return []
        if isinstance(message, Commit):
            count, self._begin = self._sequence, None
            return [Committed(message.end_lsn, count)]
        if isinstance(message, Relation):
            self._relations[message.relid] = message
            self._keys[message.relid] = self._primary_key(message.schema, message.table) or tuple(
                c.name for c in message.columns if c.is_key
            )
            return []
        if isinstance(message, (Insert, Update, Delete)):
            return list(self._change(message))
        return []  # heartbeat messages (and others' messages), origins, types: no row

    def _change(self, message: Insert | Update | Delete) -> list[RowChange]:
        begin = self._begin
        if begin is None:
            raise DecodingError("row change outside a transaction")
        relation = self._relations.get(message.relid)
        if relation is None:
            raise DecodingError(f"row change for relation {message.relid} before its Relation message")
        self._sequence += 1
        source = SourceInfo(
            system="postgres",
            db=self._db,
            schema=relation.schema,
            table=relation.table,
            commit_lsn=format_lsn(begin.final_lsn),
            sequence=self._sequence,
            commit_time=begin.commit_time.isoformat(),
        )
        key_columns = self._keys[message.relid]
        if isinstance(message, Insert):
            after = self._row(relation, message.new, None)
            return [RowChange("insert", source, _key(after, key_columns), None, after)]
        if isinstance(message, Update):
            before = None if message.old is None else self._row(relation, message.old, None, partial=message.old_is_key_only)
            after = self._row(relation, message.new, message.old if not message.old_is_key_only else None)
            old_key, new_key = (None if before is None else _key(before, key_columns)), _key(after, key_columns)
            if old_key is not None and old_key != new_key:
                self._sequence += 1
                return [RowChange("delete", source, old_key, before, None),
                        RowChange("insert", replace(source, sequence=self._sequence), new_key, None, after)]
            return [RowChange("update", source, new_key, before, after)]
        before = self._row(relation, message.old, None, partial=message.old_is_key_only)
        return [RowChange("delete", source, _key(before, key_columns), before, None)]

    @staticmethod
    def _row(
        relation: Relation,
        values: tuple[TupleValue, ...],
        old: tuple[TupleValue, ...] | None,
        *,
        partial: bool = False,
    ) -> Row:
        row: dict[str, Value] = {}
        for i, (column, value) in enumerate(zip(relation.columns, values, strict=False)):
            if value is UNCHANGED_TOAST:
                value = old[i] if old is not None and i < len(old) else UNCHANGED_TOAST
                if value is UNCHANGED_TOAST:
                    raise UnresolvedToastError(
                        f"{relation.schema}.{relation.table}.{column.name}: unchanged TOAST value with no "
                        "old value to fill it from; set REPLICA IDENTITY FULL on the table"
                    )
            if partial and value is None and not column.is_key:
                continue  # key-only old tuple: non-key columns are absent, not null
            row[column.name] = _typed(value, column.type_oid)  # type: ignore[arg-type]
        return row


def _typed(text: str | None, type_oid: int) -> Value:
    try:
        return from_pg_text(text, type_oid)
    except ValueError:
        return text  # an output form we do not reshape (e.g. BC dates) is carried as text


def _key(row: Row, columns: tuple[str, ...]) -> Row:
    if not columns:
        return dict(row)
    return {c: row.get(c) for c in columns}
