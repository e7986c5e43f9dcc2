"""A decoder for the ``pgoutput`` logical-replication messages (protocol version 1), and the
streaming-replication envelopes around them (XLogData, keepalive, standby status update).

Pure functions over bytes, following "Logical Replication Message Formats" and "Streaming
Replication Protocol" of the PostgreSQL documentation. Column values stay as the text the
server sent (``text`` tuple kind); ``unchanged_toast`` marks a TOASTed value the update did not
touch, which the caller must fill in (it is never passed on).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final, TypeAlias

PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=timezone.utc)


class UnchangedToast:
    """The ``'u'`` marker: a TOASTed value that is not in the WAL record."""

    def __repr__(self) -> str:
        return "UNCHANGED_TOAST"


UNCHANGED_TOAST: Final = UnchangedToast()
TupleValue: TypeAlias = str | None | UnchangedToast


class PgOutputError(ValueError):
    """Bytes that are not a pgoutput message we understand."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_oid: int
    is_key: bool


@dataclass(frozen=True, slots=True)
class Begin:
    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_time: datetime


@dataclass(frozen=True, slots=True)
class Relation:
    relid: int
    schema: str
    table: str
    replica_identity: str
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Insert:
    relid: int
    new: tuple[TupleValue, ...]


@dataclass(frozen=True, slots=True)
class Update:
    relid: int
    old: tuple[TupleValue, ...] | None  # 'O' (REPLICA IDENTITY FULL) or 'K' (key only)
    old_is_key_only: bool
    new: tuple[TupleValue, ...]


@dataclass(frozen=True, slots=True)
class Delete:
    relid: int
    old: tuple[TupleValue, ...]
    old_is_key_only: bool


@dataclass(frozen=True, slots=True)
class Message:
    transactional: bool
    lsn: int
    prefix: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Ignored:
    """Origin, Type and Truncate (the publication does not publish truncate)."""

    kind: str


PgOutputMessage: TypeAlias = Begin | Commit | Relation | Insert | Update | Delete | Message | Ignored


@dataclass(frozen=True, slots=True)
class XLogData:
    wal_start: int
    wal_end: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Keepalive:
    wal_end: int
    reply_requested: bool


def format_lsn(lsn: int) -> str:
    """``0x16B3748`` -> ``'0/16B3748'`` (PostgreSQL's notation)."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def pg_time(micros: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=micros)


def decode_copy_data(buf: bytes) -> XLogData | Keepalive:
    """One CopyData message of the replication stream."""
    if buf[:1] == b"w":
        wal_start, wal_end, _ = struct.unpack_from("!QQq", buf, 1)
        return XLogData(wal_start, wal_end, buf[25:])
    if buf[:1] == b"k":
        wal_end, _, reply = struct.unpack_from("!Qq?", buf, 1)
        return Keepalive(wal_end, reply)
    raise PgOutputError(f"unknown replication message {buf[:1]!r}")


def standby_status(flushed_lsn: int, now: datetime, *, reply: bool = False) -> bytes:
    """The 'r' message: written = flushed = applied = ``flushed_lsn``."""
    micros = (now - PG_EPOCH) // timedelta(microseconds=1)
    return b"r" + struct.pack("!QQQq?", flushed_lsn, flushed_lsn, flushed_lsn, micros, reply)


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 1

    def unpack(self, fmt: str) -> tuple[int, ...]:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def byte(self) -> str:
        value = chr(self.buf[self.pos])
        self.pos += 1
        return value

    def string(self) -> str:
        end = self.buf.index(b"\x00", self.pos)
        value = self.buf[self.pos:end].decode("utf-8")
        self.pos = end + 1
        return value

    def tuple_data(self) -> tuple[TupleValue, ...]:
        (count,) = self.unpack("!h")
        values: list[TupleValue] = []
        for _ in range(count):
            kind = self.byte()
            if kind == "n":
                values.append(None)
            elif kind == "u":
                values.append(UNCHANGED_TOAST)
            elif kind in {"t", "b"}:
                (length,) = self.unpack("!i")
                raw = self.buf[self.pos:self.pos + length]
                self.pos += length
                if kind == "b":
                    raise PgOutputError("binary tuple values are not requested and not supported")
                values.append(raw.decode("utf-8"))
            else:
                raise PgOutputError(f"unknown tuple value kind {kind!r}")
        return tuple(values)


def decode_message(buf: bytes) -> PgOutputMessage:
    """One pgoutput message (the payload of an XLogData)."""
    kind, r = chr(buf[0]), _Reader(buf)
    try:
        if kind == "B":
            final_lsn, ts, xid = r.unpack("!Qqi")
            return Begin(final_lsn, pg_time(ts), xid)
        if kind == "C":
            _flags, commit_lsn, end_lsn, ts = r.unpack("!bQQq")
            return Commit(commit_lsn, end_lsn, pg_time(ts))
        if kind == "R":
            (relid,) = r.unpack("!I")
            schema, table, ident = r.string(), r.string(), r.byte()
            (ncols,) = r.unpack("!h")
            columns = []
            for _ in range(ncols):
                (flags,) = r.unpack("!b")
                name = r.string()
                oid, _typmod = r.unpack("!Ii")
                columns.append(Column(name, oid, bool(flags & 1)))
            return Relation(relid, schema, table, ident, tuple(columns))
        if kind == "I":
            (relid,) = r.unpack("!I")
            if r.byte() != "N":
                raise PgOutputError("Insert without a new tuple")
            return Insert(relid, r.tuple_data())
        if kind == "U":
            (relid,) = r.unpack("!I")
            marker, old = r.byte(), None
            key_only = marker == "K"
            if marker in {"K", "O"}:
                old = r.tuple_data()
                marker = r.byte()
            if marker != "N":
                raise PgOutputError("Update without a new tuple")
            return Update(relid, old, key_only, r.tuple_data())
        if kind == "D":
            (relid,) = r.unpack("!I")
            marker = r.byte()
            if marker not in {"K", "O"}:
                raise PgOutputError("Delete without an old tuple")
            return Delete(relid, r.tuple_data(), marker == "K")
        if kind == "M":
            flags, lsn = r.unpack("!bQ")
            prefix = r.string()
            (length,) = r.unpack("!i")
            return Message(bool(flags & 1), lsn, prefix, bytes(buf[r.pos:r.pos + length]))
        if kind in {"O", "Y", "T"}:
            return Ignored(kind)
    except (struct.error, IndexError, ValueError) as exc:
        if isinstance(exc, PgOutputError):
            raise
        raise PgOutputError(f"truncated or malformed pgoutput {kind!r} message: {exc}") from exc
    raise PgOutputError(f"unsupported pgoutput message {kind!r}")
