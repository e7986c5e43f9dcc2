"""The SQL Server CDC poller against RECORDED result sets, never a live server.

No SQL Server runs on the project's machines. :class:`RecordedCdc` replays result sets shaped
as Microsoft documents ``cdc.fn_cdc_get_all_changes_<instance>`` (``__$start_lsn``,
``__$seqval``, ``__$operation`` 1-4, ``__$update_mask``, then the captured columns; both window
bounds inclusive; Msg 313 for a bound outside the instance's range) and the LSN functions.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from hartonomous.cdc import DataLossError, SourceError
from hartonomous.config import Settings
from producers.mssql.checkpoint import Checkpoint, FileCheckpointStore
from producers.mssql.lsn import lsn_from_hex, lsn_hex
from producers.mssql.port import CaptureInstance, ChangeRows, LsnOutOfRangeError, is_msg_313
from producers.mssql_cdc import MssqlChangeSource, MssqlPosition

COLUMNS = ("__hartonomous_commit_time", "__$start_lsn", "__$seqval", "__$operation", "__$update_mask",
           "Id", "Name", "Price", "Active", "Created", "Photo")
T0 = datetime(2026, 8, 7, 16, 25, 0, 883333)


def lsn(n: int) -> bytes:
    return lsn_from_hex(f"000000B1{n:08X}0003")


def seq(n: int) -> bytes:
    return lsn_from_hex(f"000000B1{n:08X}{n % 65536:04X}")


def row(at: int, s: int, op: int, ident: int, name: str, price: str) -> tuple[Any, ...]:
    return (T0, lsn(at), seq(s), op, b"\x1f", ident, name, Decimal(price), True, T0, b"\x01\x02")


PRODUCTS = CaptureInstance("dbo", "Products", "dbo_Products", ("Id",))
ORDERS = CaptureInstance("dbo", "Orders", "dbo_Orders", ("Id",))
RECORDED = {
    "dbo_Products": [
        row(10, 1, 2, 1, "Widget", "9.99"),                                   # insert
        row(20, 2, 3, 1, "Widget", "9.99"), row(20, 2, 4, 1, "Widget", "12.50"),  # update, paired
        row(40, 4, 1, 1, "Widget", "12.50"),                                  # delete
    ],
    "dbo_Orders": [row(30, 3, 2, 7, "Order", "1.00")],
}


class RecordedCdc:
    """Replays recorded result sets with the documented window and Msg 313 behaviour."""

    def __init__(self, *, max_at: int = 40, min_at: int = 10, recorded: dict[str, list[tuple[Any, ...]]] | None = None) -> None:
        self.max, self.min = lsn(max_at), {"dbo_Products": lsn(min_at), "dbo_Orders": lsn(min_at)}
        self.recorded = RECORDED if recorded is None else recorded
        self.windows: list[tuple[str, str, str]] = []

    def database_name(self) -> str:
        return "ShopDb"

    def capture_instances(self) -> list[CaptureInstance]:
        return [PRODUCTS, ORDERS]

    def max_lsn(self) -> bytes | None:
        return self.max

    def min_lsn(self, instance: str) -> bytes:
        return self.min[instance]

    def increment_lsn(self, value: bytes) -> bytes:
        return (int.from_bytes(value, "big") + 1).to_bytes(10, "big")

    def all_changes(self, instance: str, from_lsn: bytes, to_lsn: bytes) -> ChangeRows:
        if from_lsn < self.min[instance] or to_lsn > self.max:
            raise LsnOutOfRangeError("Msg 313")
        self.windows.append((instance, lsn_hex(from_lsn), lsn_hex(to_lsn)))
        return ChangeRows(COLUMNS, [r for r in self.recorded[instance] if from_lsn <= r[1] <= to_lsn])

    def close(self) -> None:
        pass


def source(tmp_path: Path, db: RecordedCdc, **settings: Any) -> tuple[MssqlChangeSource, FileCheckpointStore]:
    store = FileCheckpointStore(tmp_path / "checkpoint.json")
    s = Settings(state_dir=tmp_path, cdc_mssql_poll_s=0.0, **settings)
    return MssqlChangeSource(s, database=lambda: db, checkpoints=store), store


async def drain(src: MssqlChangeSource, max_records: int = 100, *, confirm: bool = True) -> list[Any]:
    records = list(await src.read_batch(max_records))
    if records and confirm:
        await src.confirm(records[-1].position)
    return records


class TestRecordedWindow:
    """Recorded result sets map to the change model in one commit order."""

    def test_operations_and_order(self, tmp_path: Path) -> None:
        """1 delete, 2 insert, 3+4 one update with before/after; two instances merged by LSN."""
        async def scenario() -> list[Any]:
            src, _ = source(tmp_path, RecordedCdc())
            await src.setup()
            return await drain(src)

        changes = [r.event.get_data() for r in asyncio.run(scenario())]
        assert [("Products", "insert"), ("Products", "update"), ("Orders", "insert"), ("Products", "delete")] == [
            (c["source"]["table"], c["op"]) for c in changes]
        update = changes[1]
        assert ("9.99", "12.50") == (update["before"]["Price"], update["after"]["Price"])
        assert {"Id": 1} == update["key"]
        assert {"Id": 1, "Name": "Widget", "Price": "9.99", "Active": True, "Created": "2026-08-07T16:25:00.883333",
                "Photo": "AQI="} == changes[0]["after"]
        assert ("sqlserver-cdc", "ShopDb", "000000B1:00000014:0003", "000000B100000002" "0002",
                "2026-08-07T16:25:00.883333") == (
            update["source"]["system"], update["source"]["db"], update["source"]["commit_lsn"],
            update["source"]["sequence"], update["source"]["commit_time"])

    def test_unpaired_before_image(self, tmp_path: Path) -> None:
        """A before-image (3) without its after-image (4) is an error, not a silent drop."""
        recorded = {"dbo_Products": [row(20, 2, 3, 1, "Widget", "9.99")], "dbo_Orders": []}

        async def scenario() -> None:
            src, _ = source(tmp_path, RecordedCdc(recorded=recorded))
            await src.setup()
            await src.read_batch(10)

        with pytest.raises(SourceError, match="update before-image at lsn 000000B1:00000014:0003 .* has no after-image"):
            asyncio.run(scenario())


class TestRecordedCheckpoint:
    """The LSN checkpoint is saved (as hex) only after Kafka acknowledged."""

    def test_saved_only_on_confirm_and_resumed(self, tmp_path: Path) -> None:
        """Unconfirmed: no checkpoint. Confirmed: to_lsn. Restarted: window from increment(to_lsn)."""
        db = RecordedCdc(max_at=20)

        async def first() -> tuple[bool, Any]:
            src, store = source(tmp_path, db)
            await src.setup()
            records = await drain(src, confirm=False)
            before = store.path.exists()
            await src.confirm(records[-1].position)
            return before, store.load()

        saved_before_ack, checkpoint = asyncio.run(first())
        assert (False, lsn(20)) == (saved_before_ack, checkpoint.last_lsn)
        db.max = lsn(40)

        async def second() -> list[Any]:
            src, _ = source(tmp_path, db)
            await src.setup()
            return await drain(src)

        assert ["insert", "delete"] == [r.event.get_data()["op"] for r in asyncio.run(second())]
        assert ("dbo_Products", lsn_hex(lsn(20))[:-1] + "4", lsn_hex(lsn(40))) == db.windows[-2]

    def test_batch_boundary_checkpoint(self, tmp_path: Path) -> None:
        """A batch cut inside a window carries the last complete commit LSN, not the window end."""
        async def scenario() -> list[Any]:
            src, _ = source(tmp_path, RecordedCdc())
            await src.setup()
            return await drain(src, max_records=2)

        position = asyncio.run(scenario())[-1].position
        assert isinstance(position, MssqlPosition) and position.checkpoint is not None
        assert lsn(20) == position.checkpoint.last_lsn

    def test_empty_window_moves_checkpoint(self, tmp_path: Path) -> None:
        """With nothing in the window, the checkpoint moves to max LSN without any record."""
        async def scenario() -> tuple[list[Any], Any]:
            src, store = source(tmp_path, RecordedCdc(recorded={"dbo_Products": [], "dbo_Orders": []}))
            await src.setup()
            return await drain(src), store.load()

        records, checkpoint = asyncio.run(scenario())
        assert ([], lsn(40)) == (records, checkpoint.last_lsn)


class TestRecordedDataLoss:
    """A window below fn_cdc_get_min_lsn (cleanup ran first) is reported loudly as data loss."""

    def _saved_then_cleaned(self, tmp_path: Path) -> RecordedCdc:
        FileCheckpointStore(tmp_path / "checkpoint.json").save(
            Checkpoint(lsn(5), frozenset({"dbo_Products", "dbo_Orders"})))
        return RecordedCdc(min_at=15)

    def test_gap_fails_by_default(self, tmp_path: Path) -> None:
        """Default: DataLossError naming the unread range, and an error log event."""
        db = self._saved_then_cleaned(tmp_path)

        async def scenario() -> None:
            src, _ = source(tmp_path, db)
            await src.setup()
            await src.read_batch(10)

        with capture_logs() as logs, pytest.raises(DataLossError, match="deleted by CDC cleanup before they were read"):
            asyncio.run(scenario())
        assert ["cdc_data_loss"] == [e["event"] for e in logs if e["log_level"] == "error"]

    def test_gap_skip(self, tmp_path: Path) -> None:
        """ON_GAP=skip logs the loss and continues from the oldest retained change."""
        db = self._saved_then_cleaned(tmp_path)

        async def scenario() -> list[Any]:
            src, _ = source(tmp_path, db, cdc_mssql_on_gap="skip")
            await src.setup()
            return await drain(src)

        assert ["update", "insert", "delete"] == [r.event.get_data()["op"] for r in asyncio.run(scenario())]

    def test_msg_313_after_concurrent_cleanup(self, tmp_path: Path) -> None:
        """Msg 313 because cleanup moved min LSN between the check and the query is data loss too."""
        class Racing(RecordedCdc):
            calls = 0

            def min_lsn(self, instance: str) -> bytes:
                self.calls += 1
                return lsn(10) if self.calls <= 1 else lsn(25)

        racing = Racing()
        FileCheckpointStore(tmp_path / "checkpoint.json").save(
            Checkpoint(lsn(12), frozenset({"dbo_Products"})))
        racing.min = {"dbo_Products": lsn(25), "dbo_Orders": lsn(10)}

        async def scenario() -> None:
            src, _ = source(tmp_path, racing)
            await src.setup()
            await src.read_batch(10)

        with pytest.raises(DataLossError):
            asyncio.run(scenario())
        assert [] == racing.windows

    def test_msg_313_text(self) -> None:
        """The driver's Msg 313 text is recognised."""
        text = ("('42000', '[42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]An insufficient number "
                "of arguments were supplied for the procedure or function cdc.fn_cdc_get_all_changes_ ... . (313) "
                "(SQLExecDirectW)')")
        assert (True, False) == (is_msg_313(text), is_msg_313("Invalid object name 'cdc.x'. (208)"))
