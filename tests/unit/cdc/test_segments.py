from __future__ import annotations

import json
from typing import Any

import pytest

from hartonomous.cdc import (
    ChangeReader,
    MalformedCesEventError,
    Normalized,
    Rejected,
    SegmentAssembler,
    SegmentBufferFullError,
    SegmentTimeoutError,
)
from tests.unit.cdc.helpers import split


def feed_all(reader: ChangeReader, events: list[dict[str, Any]]) -> list[Normalized | Rejected]:
    out: list[Normalized | Rejected] = []
    for event in events:
        out.extend(reader.feed_parts({k: v for k, v in event.items() if k != "data"}, event["data"], raw=event["id"]))
    return out


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def whole(event: dict[str, Any]) -> dict[str, Any]:
    (outcome,) = feed_all(ChangeReader(), [event])
    assert isinstance(outcome, Normalized)
    return outcome.change.to_data()


class TestReassembly:
    """Split events reassemble into the same change as the unsplit event."""

    @pytest.mark.parametrize("base", [0, 1])
    def test_in_order(self, ces_update: dict[str, Any], base: int) -> None:
        """Segments in order, numbered from 0 or from 1."""
        outcomes = feed_all(ChangeReader(), split(ces_update, 4, base=base))
        assert [whole(ces_update)] == [o.change.to_data() for o in outcomes if isinstance(o, Normalized)]
        assert 1 == len(outcomes)

    @pytest.mark.parametrize("base", [0, 1])
    def test_out_of_order_and_duplicates(self, ces_update: dict[str, Any], base: int) -> None:
        """Reversed order with every segment sent twice gives one change."""
        segments = split(ces_update, 3, base=base)
        shuffled = [segments[2], segments[1], segments[1], segments[2], segments[0], segments[0]]
        outcomes = feed_all(ChangeReader(), shuffled)
        assert [whole(ces_update)] == [o.change.to_data() for o in outcomes if isinstance(o, Normalized)]
        assert 1 == len(outcomes)

    def test_zero_based_group_missing_segment_zero_waits(self, ces_update: dict[str, Any]) -> None:
        """1..final of a 0-based group is not mistaken for a complete 1-based group."""
        segments = split(ces_update, 3, base=0)
        reader = ChangeReader()
        assert [] == feed_all(reader, [segments[1], segments[2]])
        assert [whole(ces_update)] == [o.change.to_data() for o in feed_all(reader, [segments[0]])]  # type: ignore[union-attr]

    @pytest.mark.parametrize("base", [0, 1])
    def test_older_split_shape(self, ces_insert: dict[str, Any], base: int) -> None:
        """splitindex/splittotalcnt segments reassemble too."""
        segments = split(ces_insert, 3, base=base, old_shape=True)
        outcomes = feed_all(ChangeReader(), [segments[1], segments[0], segments[2]])
        assert [whole(ces_insert)] == [o.change.to_data() for o in outcomes if isinstance(o, Normalized)]

    def test_interleaved_groups(self, ces_insert: dict[str, Any], ces_delete: dict[str, Any]) -> None:
        """Two logical events interleaved come out as two changes, each when it completes."""
        a, b = split(ces_insert, 2), split(ces_delete, 2)
        outcomes = feed_all(ChangeReader(), [a[0], b[1], b[0], a[1]])
        assert ["delete", "insert"] == [o.change.op for o in outcomes if isinstance(o, Normalized)]

    def test_resent_segment_after_completion_is_dropped(self, ces_insert: dict[str, Any]) -> None:
        """A segment arriving again after its event completed is a duplicate, not a new group."""
        segments = split(ces_insert, 2)
        reader = ChangeReader()
        feed_all(reader, segments)
        assert [] == feed_all(reader, [segments[0]])
        assert 0 == reader.assembler.pending_groups

    def test_garbage_segments_rejected(self, ces_insert: dict[str, Any]) -> None:
        """A complete 0-based group whose joined text is not JSON is rejected with a clear error."""
        segments = split(ces_insert, 2)
        segments[1]["data"] = "}}garbage"
        (outcome,) = feed_all(ChangeReader(), segments)
        assert isinstance(outcome, Rejected) and isinstance(outcome.error, MalformedCesEventError)
        assert "2 segments joined are not valid JSON" in str(outcome.error)
        assert (segments[0]["id"], segments[1]["id"]) == outcome.raws


class TestBounds:
    """The buffer is bounded and incomplete groups time out, as error values for the DLQ."""

    def test_timeout(self, ces_insert: dict[str, Any]) -> None:
        """An incomplete group older than the timeout comes back as SegmentTimeoutError."""
        clock = FakeClock()
        reader = ChangeReader(SegmentAssembler(timeout_s=30, clock=clock))
        first = split(ces_insert, 3)[0]
        assert [] == feed_all(reader, [first])
        clock.now = 29.0
        assert [] == reader.expire()
        clock.now = 30.0
        (rejected,) = reader.expire()
        assert isinstance(rejected.error, SegmentTimeoutError)
        assert (first["id"],) == rejected.raws
        assert f"logical event {ces_insert['logicalid']}: timed out; have segments [0], last index unknown (final segment not seen)" == str(rejected.error)
        assert 0 == reader.assembler.pending_groups

    def test_group_bound_evicts_oldest(self, ces_insert: dict[str, Any], ces_delete: dict[str, Any]) -> None:
        """With room for one group, a second incomplete group evicts the first."""
        reader = ChangeReader(SegmentAssembler(max_groups=1))
        a, b = split(ces_insert, 2), split(ces_delete, 2)
        assert [] == feed_all(reader, [a[0]])
        (evicted,) = feed_all(reader, [b[0]])
        assert isinstance(evicted, Rejected) and isinstance(evicted.error, SegmentBufferFullError)
        assert ces_insert["logicalid"] == evicted.error.logical_id
        assert ["delete"] == [o.change.op for o in feed_all(reader, [b[1]]) if isinstance(o, Normalized)]

    def test_byte_bound(self, ces_insert: dict[str, Any]) -> None:
        """A group bigger than the byte bound is evicted at once."""
        reader = ChangeReader(SegmentAssembler(max_bytes=100))
        (evicted,) = feed_all(reader, [split(ces_insert, 2)[0]])
        assert isinstance(evicted, Rejected) and isinstance(evicted.error, SegmentBufferFullError)
        assert 0 == reader.assembler.pending_bytes

    def test_drain_reports_incomplete(self, ces_insert: dict[str, Any]) -> None:
        """At end of input, every incomplete group is reported."""
        reader = ChangeReader()
        feed_all(reader, split(ces_insert, 3)[1:])
        (rejected,) = reader.drain()
        assert "input ended; have segments [1, 2], last index 2" in str(rejected.error)


class TestAttributes:
    """Segment attributes may arrive as text (binary-mode headers)."""

    def test_text_attributes(self, ces_insert: dict[str, Any]) -> None:
        """'segmentindex' '0' and 'finalsegment' 'true' are read like 0 and true."""
        event = {**ces_insert, "segmentindex": "0", "finalsegment": "true"}
        assert [whole(ces_insert)] == [o.change.to_data() for o in feed_all(ChangeReader(), [event])]  # type: ignore[union-attr]

    def test_bad_index(self, ces_insert: dict[str, Any]) -> None:
        """A non-integer segmentindex is rejected with its name."""
        (outcome,) = feed_all(ChangeReader(), [{**ces_insert, "segmentindex": "first"}])
        assert isinstance(outcome, Rejected)
        assert "'segmentindex' must be an integer, got 'first'" == str(outcome.error)

    def test_json_object_data_needs_no_assembly(self, ces_insert: dict[str, Any]) -> None:
        """A producer that sent data as an object (not a string) is read directly."""
        event = {**ces_insert, "data": json.loads(ces_insert["data"])}
        assert [whole(ces_insert)] == [o.change.to_data() for o in feed_all(ChangeReader(), [event])]  # type: ignore[union-attr]


class TestLazyExpiry:
    """Feeding the reader also reports groups past their timeout, and pending inputs are visible."""

    def test_feed_reports_expired_groups(self, ces_insert: dict[str, Any], ces_delete: dict[str, Any]) -> None:
        """A stale incomplete group comes back with the next fed event; pending_raws shows what is held."""
        clock = FakeClock()
        reader = ChangeReader(SegmentAssembler(timeout_s=10, clock=clock))
        first = split(ces_insert, 2)[0]
        feed_all(reader, [first])
        assert [first["id"]] == reader.pending_raws()
        clock.now = 11.0
        outcomes = feed_all(reader, [ces_delete])
        assert [Normalized, Rejected] == [type(o) for o in outcomes]
        assert ([], (first["id"],)) == (reader.pending_raws(), outcomes[1].raws)
