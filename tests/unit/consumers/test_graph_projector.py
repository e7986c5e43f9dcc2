from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from consumers.graph_projector import GraphProjector
from hartonomous.bus import Delivery, Failure, TransientError
from hartonomous.events import Event
from hartonomous.graph import GraphWriteError, ProjectionError
from hartonomous.graph.testing import FakeProjectionStore, LifecycleEvents, refuse_offsets

TOPIC = "hartonomous.enriched"


def deliveries(events: Sequence[Event], *, first_offset: int = 0, partition: int = 0) -> list[Delivery]:
    return [Delivery(e, TOPIC, partition, first_offset + i, None, 1_700_000_000_000) for i, e in enumerate(events)]


def stream(n: int = 6) -> list[Event]:
    f = LifecycleEvents()
    events = [f.model_decomposed(), f.document_change(1), f.embedding_created(1), f.model_extracted(),
              f.inference_logged(1), f.document_change(2)]
    return events[:n]


def handle(projector: GraphProjector, batch: Sequence[Delivery]) -> list[Failure]:
    return list(asyncio.run(projector.handle(batch)))


def written_events(store: FakeProjectionStore) -> list[str]:
    return [row["id"] for p in store.written for row in p.rows.get("event", ())]


def offsets_of(failures: Sequence[Failure]) -> list[int]:
    return [f.delivery.offset for f in failures]


class TestBatches:
    """One batch is one transaction that also advances the partition's offset."""

    def test_batch_in_one_transaction(self) -> None:
        """Six events, one transaction, offset at the last event, no failures."""
        store = FakeProjectionStore()
        failures = handle(GraphProjector(store), deliveries(stream()))
        assert ([], 1, 5) == (failures, store.transactions, store.states[f"graph|{TOPIC}|0"].offset)
        assert [f"evt-{i}" for i in range(1, 7)] == written_events(store)

    def test_replayed_batch_is_skipped(self) -> None:
        """The same deliveries again (a new consumer group from offset 0) write nothing."""
        store = FakeProjectionStore()
        batch = deliveries(stream())
        handle(GraphProjector(store), batch)
        handle(GraphProjector(store), batch)
        assert 6 == len(written_events(store))

    def test_partially_replayed_batch_writes_only_new_events(self) -> None:
        """A batch overlapping the stored offset writes only what lies above it."""
        store = FakeProjectionStore()
        events = stream()
        handle(GraphProjector(store), deliveries(events[:4]))
        handle(GraphProjector(store), deliveries(events))
        assert [f"evt-{i}" for i in range(1, 7)] == written_events(store)

    def test_partitions_keep_their_own_offsets(self) -> None:
        """Offsets are per (projector, topic, partition)."""
        store = FakeProjectionStore()
        events = stream(2)
        handle(GraphProjector(store), deliveries(events, partition=0))
        handle(GraphProjector(store), deliveries(events, partition=1, first_offset=10))
        assert {f"graph|{TOPIC}|0": 1, f"graph|{TOPIC}|1": 11} == {k: s.offset for k, s in store.states.items()}


class TestFailures:
    """A bad event goes to the DLQ alone; transient failures are retried by the runtime."""

    def test_malformed_payload_is_refused_alone(self) -> None:
        """The malformed event is a failure; its neighbours are written in the same transaction."""
        events = stream()
        events[2].get_data()["dimension"] = "many"
        store = FakeProjectionStore()
        failures = handle(GraphProjector(store), deliveries(events))
        assert ([2], [ProjectionError], 1) == (offsets_of(failures), [type(f.error) for f in failures],
                                               store.transactions)
        assert ["evt-1", "evt-2", "evt-4", "evt-5", "evt-6"] == written_events(store)

    def test_write_refused_by_the_graph_isolates_the_event(self) -> None:
        """A non-transient write failure re-runs the batch one event per transaction."""
        store = FakeProjectionStore(fail=refuse_offsets(3))
        failures = handle(GraphProjector(store), deliveries(stream()))
        assert ([3], [GraphWriteError]) == (offsets_of(failures), [type(f.error) for f in failures])
        assert ["evt-1", "evt-2", "evt-3", "evt-5", "evt-6"] == written_events(store)
        state = store.states[f"graph|{TOPIC}|0"]
        assert (5, (3,)) == (state.offset, state.failed)

    def test_transient_failure_commits_nothing(self) -> None:
        """A deadlock or an unavailable server raises TransientError and leaves the offset alone."""
        store = FakeProjectionStore(fail=refuse_offsets(0, transient=True))
        with pytest.raises(TransientError):
            handle(GraphProjector(store), deliveries(stream()))
        assert ({}, []) == (store.states, store.written)

    def test_retry_after_transient_failure_in_isolation_resumes(self) -> None:
        """Transient failure mid-way through per-event mode: the retry skips what was committed."""
        failing = {"on": True}
        refuse = refuse_offsets(2)
        transient = refuse_offsets(4, transient=True)
        store = FakeProjectionStore(fail=lambda plan: refuse(plan) or (transient(plan) if failing["on"] else None))
        batch = deliveries(stream())
        with pytest.raises(TransientError):
            handle(GraphProjector(store), batch)
        failing["on"] = False
        failures = handle(GraphProjector(store), batch)
        assert [2] == offsets_of(failures)
        assert ["evt-1", "evt-2", "evt-4", "evt-5", "evt-6"] == written_events(store)

    def test_refusal_is_reported_again_after_a_crash_before_the_dlq(self) -> None:
        """Replaying a batch whose refusal was committed to the graph reports the refusal again."""
        events = stream()
        events[1].get_data()["change"] = {}
        store = FakeProjectionStore()
        batch = deliveries(events)
        handle(GraphProjector(store), batch)  # the process dies here, before the DLQ publish
        failures = handle(GraphProjector(store), batch)
        assert ([1], [ProjectionError]) == (offsets_of(failures), [type(f.error) for f in failures])
        assert "data.change.source must be an object" in str(failures[0].error)
        assert 5 == len(written_events(store))
