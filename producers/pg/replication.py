"""A logical-replication connection over psycopg 3's libpq layer (``psycopg.pq``).

psycopg 3 has no replication API (psycopg2's ``LogicalReplicationConnection`` has no
successor yet), but its ``pq.PGconn`` exposes the libpq calls the protocol needs:
``replication=database`` in the connection string, ``exec_`` for the replication commands and
``get_copy_data``/``put_copy_data`` for the COPY BOTH stream. This module is that small layer,
asynchronous: the stream socket is awaited with the event loop, never polled with sleeps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from psycopg import pq
from psycopg.conninfo import make_conninfo

from hartonomous.cdc import SourceError
from producers.pg.pgoutput import Keepalive, XLogData, decode_copy_data, format_lsn, standby_status

# Text output forms the value typing expects (same settings on the snapshot connection).
SESSION_OPTIONS = "-c datestyle=ISO -c timezone=UTC -c bytea_output=hex -c intervalstyle=iso_8601 -c extra_float_digits=3"


class ReplicationError(SourceError):
    """The replication connection or stream failed."""


@dataclass(frozen=True, slots=True)
class CreatedSlot:
    consistent_point: int
    snapshot_name: str


def replication_conninfo(url: str) -> str:
    return make_conninfo(url, replication="database", options=SESSION_OPTIONS)


def _parse_lsn(raw: bytes) -> int:
    high, _, low = raw.decode().partition("/")
    return (int(high, 16) << 32) | int(low, 16)


class ReplicationConnection:
    """One walsender connection: create a slot, then stream from it."""

    def __init__(self, url: str) -> None:
        self._conninfo = replication_conninfo(url)
        self._pg: pq.abc.PGconn | None = None
        self._streaming = False

    async def connect(self) -> None:
        pg = await asyncio.to_thread(pq.PGconn.connect, self._conninfo.encode())
        if pg.status != pq.ConnStatus.OK:
            message = pg.get_error_message()
            pg.finish()
            raise ReplicationError(f"replication connection failed: {message}")
        self._pg = pg

    def _conn(self) -> pq.abc.PGconn:
        if self._pg is None:
            raise ReplicationError("replication connection is not open")
        return self._pg

    async def command(self, text: str) -> list[tuple[bytes | None, ...]]:
        """Run one replication command (simple protocol) and return its rows."""
        pg = self._conn()
        result = await asyncio.to_thread(pg.exec_, text.encode())
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise ReplicationError(f"{text.split()[0]} failed: {result.get_error_message()}")
        return [tuple(result.get_value(r, c) for c in range(result.nfields)) for r in range(result.ntuples)]

    async def create_slot(self, slot: str) -> CreatedSlot:
        """A permanent pgoutput slot exporting a snapshot that stays valid while this connection
        runs no other command."""
        rows = await self.command(f'CREATE_REPLICATION_SLOT "{slot}" LOGICAL pgoutput (SNAPSHOT \'export\')')
        _name, point, snapshot, _plugin = rows[0]
        assert point is not None and snapshot is not None
        return CreatedSlot(_parse_lsn(point), snapshot.decode())

    async def start(self, slot: str, publication: str, start_lsn: int = 0) -> None:
        """START_REPLICATION; 0/0 resumes from the slot's confirmed flush LSN."""
        pg = self._conn()
        text = (
            f'START_REPLICATION SLOT "{slot}" LOGICAL {format_lsn(start_lsn)} '
            f"(proto_version '1', publication_names '{publication}', messages 'true')"
        )
        result = await asyncio.to_thread(pg.exec_, text.encode())
        if result.status != pq.ExecStatus.COPY_BOTH:
            raise ReplicationError(f"START_REPLICATION failed: {result.get_error_message()}")
        pg.nonblocking = 1
        self._streaming = True

    async def read(self, timeout_s: float) -> XLogData | Keepalive | None:
        """The next stream message, or ``None`` if none arrived within ``timeout_s``."""
        pg = self._conn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                size, buf = pg.get_copy_data(1)
            except Exception as exc:  # psycopg raises OperationalError on a broken stream
                raise ReplicationError(f"replication stream failed: {exc}") from exc
            if size > 0:
                return decode_copy_data(bytes(buf))
            if size == -1:
                result = pg.get_result()
                detail = result.get_error_message() if result is not None else pg.get_error_message()
                raise ReplicationError(f"replication stream ended by the server: {detail!r}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                pg.consume_input()  # whatever already reached the socket
                size, buf = pg.get_copy_data(1)
                return decode_copy_data(bytes(buf)) if size > 0 else None
            await self._readable(remaining)
            pg.consume_input()

    async def _readable(self, timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self._conn().socket

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await asyncio.wait_for(ready, timeout_s)
        except asyncio.TimeoutError:
            pass
        finally:
            loop.remove_reader(fd)

    def send_status(self, flushed_lsn: int, *, reply: bool = False) -> None:
        """Standby status update: the server may discard WAL up to ``flushed_lsn``."""
        if not self._streaming:
            return
        pg = self._conn()
        if pg.put_copy_data(standby_status(flushed_lsn, datetime.now(timezone.utc), reply=reply)) != 1:
            raise ReplicationError(f"could not send standby status: {pg.get_error_message()}")
        while pg.flush() == 1:
            pass

    def close(self) -> None:
        if self._pg is not None:
            pg, self._pg = self._pg, None
            pg.finish()
        self._streaming = False
