from __future__ import annotations

import struct
from datetime import datetime, timezone

import pytest

from hartonomous.cdc import RowChange
from producers.pg.decoding import Committed, TransactionDecoder, UnresolvedToastError
from producers.pg.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Keepalive,
    PgOutputError,
    Update,
    XLogData,
    decode_copy_data,
    decode_message,
    format_lsn,
    parse_lsn,
    standby_status,
)

COMMIT_MICROS = 817_000_000_000_000  # 2025-11-22T...


def cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def tuple_data(*values: str | None | object) -> bytes:
    out = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            out += b"n"
        elif v is UNCHANGED_TOAST:
            out += b"u"
        else:
            raw = str(v).encode()
            out += b"t" + struct.pack("!i", len(raw)) + raw
    return out


def begin(final_lsn: int) -> bytes:
    return b"B" + struct.pack("!Qqi", final_lsn, COMMIT_MICROS, 700)


def commit(end_lsn: int) -> bytes:
    return b"C" + struct.pack("!bQQq", 0, end_lsn - 8, end_lsn, COMMIT_MICROS)


def relation() -> bytes:
    cols = [(1, "id", 23), (1, "body", 25), (1, "n", 1700), (1, "at", 1184), (1, "ok", 16), (1, "raw", 17)]
    body = struct.pack("!I", 16384) + cstr("public") + cstr("docs") + b"f" + struct.pack("!h", len(cols))
    for flags, name, oid in cols:
        body += struct.pack("!b", flags) + cstr(name) + struct.pack("!Ii", oid, -1)
    return b"R" + body


ROW = ("7", "long text", "1.50", "2026-01-02 03:04:05.5+00", "t", "\\x0a0b")
TYPED = {"id": 7, "body": "long text", "n": "1.50", "at": "2026-01-02T03:04:05.5+00:00", "ok": True, "raw": "Cgs="}


def decoder() -> TransactionDecoder:
    d = TransactionDecoder("db", lambda schema, table: ("id",))
    d.feed(decode_message(relation()))
    return d


class TestEnvelopes:
    """Streaming-replication envelopes and LSN notation."""

    def test_xlogdata_and_keepalive(self) -> None:
        """'w' and 'k' messages decode; an unknown one is an error."""
        assert XLogData(1, 2, b"B...") == decode_copy_data(b"w" + struct.pack("!QQq", 1, 2, 0) + b"B...")
        assert Keepalive(5, True) == decode_copy_data(b"k" + struct.pack("!Qq?", 5, 0, True))
        with pytest.raises(PgOutputError):
            decode_copy_data(b"x")

    def test_lsn_notation_and_status(self) -> None:
        """LSNs print like PostgreSQL; the status update carries the flushed LSN three times."""
        assert ("1/A0", 0x1_0000_00A0) == (format_lsn(0x1_0000_00A0), parse_lsn("1/A0"))
        status = standby_status(42, datetime(2000, 1, 1, 0, 0, 1, tzinfo=timezone.utc))
        assert b"r" + struct.pack("!QQQq?", 42, 42, 42, 1_000_000, False) == status


class TestMessages:
    """pgoutput messages decode into their dataclasses."""

    def test_begin(self) -> None:
        """Begin carries the commit LSN and time."""
        msg = decode_message(begin(0x16B3748))
        assert isinstance(msg, Begin) and (0x16B3748, 700) == (msg.final_lsn, msg.xid)

    def test_update_with_old_tuple(self) -> None:
        """An update with an 'O' old tuple and a 'u' value in the new one."""
        raw = b"U" + struct.pack("!I", 16384) + b"O" + tuple_data(*ROW) + b"N" + tuple_data("7", UNCHANGED_TOAST, "2", None, "f", None)
        msg = decode_message(raw)
        assert Update(16384, ROW, False, ("7", UNCHANGED_TOAST, "2", None, "f", None)) == msg

    def test_truncated(self) -> None:
        """A truncated message is a PgOutputError, not a struct.error."""
        with pytest.raises(PgOutputError, match="truncated or malformed pgoutput 'B'"):
            decode_message(b"B\x00\x01")


class TestDecoding:
    """Transactions become typed RowChanges with commit LSN, sequence and TOAST filled in."""

    def test_insert_update_delete(self) -> None:
        """Three changes in one transaction: sequence 1..3, then Committed with the end LSN."""
        d = decoder()
        d.feed(decode_message(begin(0x100)))
        new = ("7", "long text", "2.00", "2026-01-02 03:04:05.5+00", "t", "\\x0a0b")
        out = [
            *d.feed(decode_message(b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(*ROW))),
            *d.feed(decode_message(b"U" + struct.pack("!I", 16384) + b"O" + tuple_data(*ROW) + b"N"
                                  + tuple_data("7", UNCHANGED_TOAST, "2.00", "2026-01-02 03:04:05.5+00", "t", "\\x0a0b"))),
            *d.feed(decode_message(b"D" + struct.pack("!I", 16384) + b"O" + tuple_data(*new))),
            *d.feed(decode_message(commit(0x180))),
        ]
        changes = [o for o in out if isinstance(o, RowChange)]
        assert ["insert", "update", "delete"] == [c.op for c in changes]
        assert [1, 2, 3] == [c.source.sequence for c in changes]
        assert {"0/100"} == {c.source.commit_lsn for c in changes}
        assert TYPED == changes[0].after
        assert ("long text", "2.00") == (changes[1].after["body"], changes[1].after["n"])  # type: ignore[index]
        assert {"id": 7} == changes[2].key and changes[2].after is None
        assert Committed(0x180, 3) == out[-1]

    def test_unchanged_toast_without_old_tuple(self) -> None:
        """A 'u' value that cannot be filled raises instead of leaking a placeholder."""
        d = decoder()
        d.feed(decode_message(begin(0x100)))
        with pytest.raises(UnresolvedToastError, match="public.docs.body: unchanged TOAST value"):
            d.feed(decode_message(b"U" + struct.pack("!I", 16384) + b"N" + tuple_data("7", UNCHANGED_TOAST, "2", None, "t", None)))

    def test_primary_key_change_is_delete_then_insert(self) -> None:
        """An update that changes the key: delete of the old key, insert of the new, sequences 1 and 2."""
        d = decoder()
        d.feed(decode_message(begin(0x100)))
        moved = ("8",) + ROW[1:]
        out = d.feed(decode_message(b"U" + struct.pack("!I", 16384) + b"O" + tuple_data(*ROW) + b"N" + tuple_data(*moved)))
        assert [("delete", {"id": 7}, 1), ("insert", {"id": 8}, 2)] == [
            (c.op, c.key, c.source.sequence) for c in out if isinstance(c, RowChange)]
