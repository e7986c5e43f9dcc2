"""SQL Server CDC poller: ``cdc.fn_cdc_get_all_changes_<instance>`` to ``hartonomous.cdc``.

Written against Microsoft's documentation of SQL Server CDC; no SQL Server runs on the
project's machines, so it is tested only with recorded result sets that follow the documented
contract (``tests/unit/producers/test_mssql_cdc_recorded.py``), never against a live server.

Each poll reads one LSN window for every capture instance:
``fn_cdc_increment_lsn(saved to_lsn)`` .. ``fn_cdc_get_max_lsn()`` (both inclusive; a new
instance starts at its ``fn_cdc_get_min_lsn``). Changes of all instances are published in one
commit order (LSN, seqval); updates are paired (operation 3 before, 4 after). The checkpoint
(the window's ``to_lsn``, or a commit boundary inside it, as hex) is saved only in
:meth:`MssqlChangeSource.confirm`, after Kafka acknowledged everything up to it.

A window starting below ``fn_cdc_get_min_lsn`` means cleanup deleted changes nobody read: it is
logged as ``cdc_data_loss`` and, by default (``HARTONOMOUS_CDC_MSSQL_ON_GAP=fail``), stops the
service with :class:`DataLossError`; ``skip`` continues from the oldest retained change. Msg 313
("insufficient number of arguments", SQL Server's word for an out-of-range bound) is checked
the same way.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hartonomous.bus import EventPublisher, ProducerRuntime, SourceRecord
from hartonomous.cdc import DataLossError, SourceError
from hartonomous.config import Settings
from hartonomous.logging import get_logger
from producers.mssql.changes import LsnChange, merge_in_commit_order, to_changes
from producers.mssql.checkpoint import Checkpoint, FileCheckpointStore
from producers.mssql.lsn import lsn_hex
from producers.mssql.port import CaptureInstance, CdcDatabase, LsnOutOfRangeError

ON_GAP = frozenset({"fail", "skip"})


@dataclass(frozen=True, slots=True)
class MssqlPosition:
    """``checkpoint``: safe to save once this record and all before it are on Kafka."""

    batch: int
    checkpoint: Checkpoint | None


class MssqlChangeSource:
    """A :class:`hartonomous.bus.ChangeSource` polling SQL Server CDC through a :class:`CdcDatabase`."""

    name = "cdc-mssql"

    def __init__(
        self,
        settings: Settings,
        *,
        database: Callable[[], CdcDatabase] | None = None,
        checkpoints: FileCheckpointStore | None = None,
    ) -> None:
        if settings.cdc_mssql_on_gap not in ON_GAP:
            raise SourceError(f"HARTONOMOUS_CDC_MSSQL_ON_GAP must be one of {sorted(ON_GAP)}")
        self._settings = settings
        self._connect = database or self._pyodbc
        self._store = checkpoints
        self._log = get_logger("producers.mssql_cdc")
        self._db: CdcDatabase | None = None
        self._db_name = ""
        self._source_uri = ""
        self._instances: list[CaptureInstance] = []
        self._window_end = Checkpoint()
        self._pending: deque[tuple[LsnChange, Checkpoint | None]] = deque()
        self._returned_batch = self._confirmed_batch = 0
        self._next_poll = 0.0

    def _pyodbc(self) -> CdcDatabase:
        from producers.mssql.pyodbc_db import PyodbcCdcDatabase

        return PyodbcCdcDatabase(self._settings.cdc_mssql_odbc, self._settings.project_root / "sql" / "mssql" / "queries")

    async def setup(self) -> None:
        self._db = db = await asyncio.to_thread(self._connect)
        self._db_name = await asyncio.to_thread(db.database_name)
        server = re.search(r"(?i)\bserver\s*=\s*([^;]+)", self._settings.cdc_mssql_odbc)
        self._source_uri = f"mssql://{server.group(1).strip() if server else ''}/{self._db_name}"
        if self._store is None:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self._db_name)
            self._store = FileCheckpointStore(self._settings.state_path / "cdc" / f"mssql-{safe}.json")
        self._window_end = self._store.load()
        wanted = {n.strip() for n in self._settings.cdc_mssql_capture_instances.split(",") if n.strip()}
        found = await asyncio.to_thread(db.capture_instances)
        self._instances = [ci for ci in found if not wanted or ci.name in wanted]
        if not self._instances:
            raise SourceError(f"no CDC capture instances to read in {self._db_name} (wanted: {sorted(wanted) or 'all'})")
        self._log.info("cdc_mssql_ready", db=self._db_name, instances=[c.name for c in self._instances],
                       checkpoint=None if self._window_end.last_lsn is None else lsn_hex(self._window_end.last_lsn))

    async def read_batch(self, max_records: int) -> Sequence[SourceRecord]:
        if not self._pending:
            wait = self._next_poll - time.monotonic()
            if wait > 0:
                await asyncio.sleep(min(wait, 0.5))
                return []
            await asyncio.to_thread(self._poll)
            if not self._pending:
                self._next_poll = time.monotonic() + self._settings.cdc_mssql_poll_s
                return []
        taken = [self._pending.popleft() for _ in range(min(max_records, len(self._pending)))]
        self._returned_batch += 1
        safe: Checkpoint | None = None
        records = []
        for item, checkpoint in taken:
            safe = checkpoint or safe
            change = item.change
            records.append(SourceRecord(self._settings.topics.cdc, change.to_event(source_uri=self._source_uri),
                                        change.kafka_key, MssqlPosition(self._returned_batch, safe)))
        return records

    def _poll(self) -> None:
        db = self._require_db()
        max_lsn = db.max_lsn()
        if max_lsn is None:
            return
        base = self._window_end
        groups: list[list[LsnChange]] = []
        starts: dict[str, bytes] = {}
        for ci in self._instances:
            start = self._window_start(db, ci, base)
            starts[ci.name] = start
            if start > max_lsn:
                continue
            try:
                rows = db.all_changes(ci.name, start, max_lsn)
            except LsnOutOfRangeError:
                start = self._recheck_after_313(db, ci, start, max_lsn)
                starts[ci.name] = start
                rows = db.all_changes(ci.name, start, max_lsn)
            groups.append(to_changes(self._db_name, ci, rows))
        merged = merge_in_commit_order(groups)
        end = Checkpoint(max_lsn, frozenset(starts))
        for i, item in enumerate(merged):
            last = i == len(merged) - 1
            if last:
                self._pending.append((item, end))
            elif merged[i + 1].start_lsn != item.start_lsn:
                covered = frozenset(n for n, s in starts.items() if s <= item.start_lsn)
                self._pending.append((item, Checkpoint(item.start_lsn, covered)))
            else:
                self._pending.append((item, None))
        self._window_end = end
        if not merged and self._returned_batch == self._confirmed_batch:
            self._save(end)  # an empty window: nothing in flight, move the checkpoint on
        self._log.debug("cdc_mssql_polled", to_lsn=lsn_hex(max_lsn), changes=len(merged))

    def _window_start(self, db: CdcDatabase, ci: CaptureInstance, base: Checkpoint) -> bytes:
        min_lsn = db.min_lsn(ci.name)
        if base.last_lsn is None or ci.name not in base.instances:
            return min_lsn  # a capture instance seen for the first time starts at its beginning
        start = db.increment_lsn(base.last_lsn)
        return self._gap(ci, start, min_lsn) if start < min_lsn else start

    def _recheck_after_313(self, db: CdcDatabase, ci: CaptureInstance, start: bytes, max_lsn: bytes) -> bytes:
        min_lsn = db.min_lsn(ci.name)
        if start < min_lsn:
            return self._gap(ci, start, min_lsn)  # cleanup ran between our check and the query
        raise SourceError(
            f"{ci.name}: Msg 313 for window {lsn_hex(start)}..{lsn_hex(max_lsn)} inside the instance's range "
            f"(min {lsn_hex(min_lsn)}): the capture instance may have been dropped and recreated"
        )

    def _gap(self, ci: CaptureInstance, start: bytes, min_lsn: bytes) -> bytes:
        self._log.error("cdc_data_loss", instance=ci.name, table=f"{ci.schema}.{ci.table}",
                        unread_from=lsn_hex(start), oldest_retained=lsn_hex(min_lsn),
                        action=self._settings.cdc_mssql_on_gap)
        if self._settings.cdc_mssql_on_gap == "skip":
            return min_lsn
        raise DataLossError(
            f"{ci.name}: changes from LSN {lsn_hex(start)} up to {lsn_hex(min_lsn)} were deleted by CDC cleanup "
            "before they were read; re-snapshot the table, or set HARTONOMOUS_CDC_MSSQL_ON_GAP=skip to continue "
            "from the oldest retained change"
        )

    async def confirm(self, position: Any) -> None:
        if not isinstance(position, MssqlPosition):
            return
        self._confirmed_batch = max(self._confirmed_batch, position.batch)
        if position.checkpoint is not None:
            await asyncio.to_thread(self._save, position.checkpoint)

    def _save(self, checkpoint: Checkpoint) -> None:
        assert self._store is not None
        self._store.save(checkpoint)

    def _require_db(self) -> CdcDatabase:
        if self._db is None:
            raise SourceError("setup() was not called")
        return self._db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.to_thread(db.close)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the poller until ``stop`` is set (SIGTERM/SIGINT through the CLI)."""
    publisher = EventPublisher(settings)
    runtime = ProducerRuntime(settings, MssqlChangeSource(settings), publisher=publisher, idle_sleep_s=0.01)
    try:
        await runtime.run(stop)
    finally:
        await publisher.stop()
