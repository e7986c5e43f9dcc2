from __future__ import annotations

from hartonomous.graph import BatchItem, OffsetState, Projection, offset_key, plan_batch

P = Projection({"event": ({"id": "x"},)})


def ok(offset: int) -> BatchItem:
    return BatchItem(offset, projection=Projection({"event": ({"id": f"e{offset}"},)}))


def bad(offset: int) -> BatchItem:
    return BatchItem(offset, error=f"ProjectionError: bad {offset}")


class TestPlanBatch:
    """Items at or below the stored offset are skipped; refusals are remembered until committed."""

    def test_fresh_partition_applies_everything(self) -> None:
        """No offset yet: every item is applied and the offset moves to the last one."""
        plan = plan_batch(OffsetState(), 0, [ok(0), ok(1), ok(2)])
        assert ((0, 1, 2), (), OffsetState(2)) == (plan.applied, plan.skipped, plan.state)
        assert ["e0", "e1", "e2"] == [r["id"] for r in plan.projection.rows["event"]]

    def test_replay_is_skipped(self) -> None:
        """Items already applied are skipped; only newer ones are written."""
        plan = plan_batch(OffsetState(4), 3, [ok(3), ok(4), ok(5)])
        assert ((5,), (3, 4), 5) == (plan.applied, plan.skipped, plan.state.offset)
        assert ["e5"] == [r["id"] for r in plan.projection.rows["event"]]

    def test_full_replay_changes_nothing(self) -> None:
        """A batch entirely at or below the offset writes nothing and keeps the state."""
        plan = plan_batch(OffsetState(10), 0, [ok(0), ok(1)])
        assert (True, False) == (plan.projection.empty, plan.changes_state)

    def test_refused_items_advance_the_offset_and_are_recorded(self) -> None:
        """A refused item is reported, remembered with its reason, and not written."""
        plan = plan_batch(OffsetState(), 0, [ok(0), bad(1), ok(2)])
        assert ((0, 2), {1: "ProjectionError: bad 1"}) == (plan.applied, plan.refused)
        assert OffsetState(2, (1,), ("ProjectionError: bad 1",)) == plan.state

    def test_refusals_are_reported_again_when_the_batch_is_replayed(self) -> None:
        """Crash after the Neo4j commit, before the DLQ: the replay reports the refusal again."""
        stored = OffsetState(2, (1,), ("ProjectionError: bad 1",))
        plan = plan_batch(stored, 0, [ok(0), ok(1), ok(2)])
        assert ((), {1: "ProjectionError: bad 1"}, False) == (plan.applied, plan.refused, plan.changes_state)

    def test_refusals_below_the_batch_start_are_forgotten(self) -> None:
        """A batch starting after a refusal means it was dead-lettered and committed."""
        stored = OffsetState(2, (1,), ("ProjectionError: bad 1",))
        plan = plan_batch(stored, 3, [ok(3)])
        assert (OffsetState(3), {}) == (plan.state, plan.refused)

    def test_one_by_one_keeps_earlier_refusals_of_the_same_batch(self) -> None:
        """Per-event transactions of one batch accumulate its refusals (batch_start stays)."""
        first = plan_batch(OffsetState(), 0, [bad(0)])
        second = plan_batch(first.state, 0, [ok(1)])
        third = plan_batch(second.state, 0, [bad(2)])
        assert OffsetState(2, (0, 2), ("ProjectionError: bad 0", "ProjectionError: bad 2")) == third.state

    def test_long_reasons_are_truncated(self) -> None:
        """A reason is kept to 500 characters."""
        plan = plan_batch(OffsetState(), 0, [BatchItem(0, error="x" * 2000)])
        assert 500 == len(plan.state.failed_errors[0])


class TestOffsetKey:
    """The offset node is keyed by projector, topic and partition, not by consumer group."""

    def test_key(self) -> None:
        """A replay under another consumer group finds the same node."""
        assert "graph|hartonomous.enriched|2" == offset_key("graph", "hartonomous.enriched", 2)
