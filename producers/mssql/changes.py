"""Rows of ``fn_cdc_get_all_changes_*`` into :class:`RowChange` values.

``__$operation``: 1 delete, 2 insert, 3 update before-image, 4 update after-image. With the
``all update old`` row filter a 3 and a 4 share ``__$start_lsn`` and ``__$seqval``; they are
paired into one update with ``before`` and ``after``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hartonomous.cdc import RowChange, SourceError, SourceInfo
from hartonomous.cdc.values import Row, from_python
from producers.mssql.lsn import lsn_display, lsn_hex
from producers.mssql.port import COMMIT_TIME_COLUMN, META_PREFIX, CaptureInstance, ChangeRows, commit_time_text

DELETE, INSERT, UPDATE_BEFORE, UPDATE_AFTER = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class LsnChange:
    """A change and its ordering key (commit LSN bytes, seqval bytes)."""

    start_lsn: bytes
    seqval: bytes
    change: RowChange


def to_changes(db: str, instance: CaptureInstance, result: ChangeRows) -> list[LsnChange]:
    rows = result.dicts()
    rows.sort(key=lambda r: (bytes(r["__$start_lsn"]), bytes(r["__$seqval"]), int(r["__$operation"])))
    out: list[LsnChange] = []
    pending_before: dict[str, Any] | None = None
    for row in rows:
        op = int(row["__$operation"])
        if pending_before is not None and (op != UPDATE_AFTER or _ident(row) != _ident(pending_before)):
            raise SourceError(f"{instance.name}: update before-image at {_where(pending_before)} has no after-image")
        if op == UPDATE_BEFORE:
            pending_before = row
            continue
        if op == DELETE:
            out.append(_change(db, instance, row, "delete", before=row, after=None))
        elif op == INSERT:
            out.append(_change(db, instance, row, "insert", before=None, after=row))
        elif op == UPDATE_AFTER:
            out.append(_change(db, instance, row, "update", before=pending_before, after=row))
            pending_before = None
        else:
            raise SourceError(f"{instance.name}: unknown __$operation {op} at {_where(row)}")
    if pending_before is not None:
        raise SourceError(f"{instance.name}: update before-image at {_where(pending_before)} has no after-image")
    return out


def _change(
    db: str, instance: CaptureInstance, row: dict[str, Any], op: str,
    *, before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> LsnChange:
    start_lsn, seqval = bytes(row["__$start_lsn"]), bytes(row["__$seqval"])
    source = SourceInfo(
        system="sqlserver-cdc", db=db, schema=instance.schema, table=instance.table,
        commit_lsn=lsn_display(start_lsn), sequence=lsn_hex(seqval),
        commit_time=commit_time_text(row.get(COMMIT_TIME_COLUMN)),
    )
    typed_before, typed_after = _typed(before), _typed(after)
    image = typed_after if typed_after is not None else typed_before
    assert image is not None
    key = {c: image.get(c) for c in instance.key_columns} if instance.key_columns else dict(image)
    return LsnChange(start_lsn, seqval, RowChange(op, source, key, typed_before, typed_after))  # type: ignore[arg-type]


def _typed(row: dict[str, Any] | None) -> Row | None:
    if row is None:
        return None
    return {k: from_python(v) for k, v in row.items() if not _is_meta(k)}


def _is_meta(column: str) -> bool:
    return column.startswith(META_PREFIX) or column == COMMIT_TIME_COLUMN


def _ident(row: dict[str, Any]) -> tuple[bytes, bytes]:
    return bytes(row["__$start_lsn"]), bytes(row["__$seqval"])


def _where(row: dict[str, Any]) -> str:
    return f"lsn {lsn_display(bytes(row['__$start_lsn']))} seqval {lsn_hex(bytes(row['__$seqval']))}"


def merge_in_commit_order(groups: Iterable[list[LsnChange]]) -> list[LsnChange]:
    """Changes of several capture instances in one commit order (LSN, then seqval)."""
    merged = [c for group in groups for c in group]
    merged.sort(key=lambda c: (c.start_lsn, c.seqval))
    return merged
