"""The graph projector against the real Kafka and Neo4j: exact projection, idempotent replay,
malformed payloads to the DLQ alone, and the audit library on the result."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from hartonomous.bus import read_reason
from hartonomous.config import Settings
from hartonomous.graph import GraphClient
from hartonomous.graph import audit as library
from hartonomous.graph.testing import LifecycleEvents
from tests.integration.graph_support import (
    EXPECTED_NODES,
    EXPECTED_RELATIONSHIPS,
    graph_settings,
    lifecycle_stream,
    new_prefix,
    projector_running,
    publish,
    snapshot,
    stored_offsets,
    wait_projected,
)
from tests.integration.kafka_helpers import read_records

__all__ = ["new_prefix"]  # the fixture

pytestmark = pytest.mark.integration


class TestProjection:
    """A lifecycle stream projects to exactly the expected graph, and replays change nothing."""

    def test_stream_projects_exactly_and_replays_change_nothing(
        self, stack_settings: Settings, new_prefix: Callable[[str], str]
    ) -> None:
        """Exact node/relationship counts; a replay from offset zero under a new group (same
        projector) and under a new projector name (no stored offset) leave the graph identical."""
        p = new_prefix("t")
        settings = graph_settings(stack_settings, p, consumer_batch_size=3)
        projector = f"{p}graph"

        async def scenario() -> tuple:
            last = await publish(settings, lifecycle_stream(LifecycleEvents(p)))
            async with projector_running(settings, group=f"{p}g1", projector=projector):
                await wait_projected(settings, projector, last)
            first = await snapshot(settings, p)
            offsets = await stored_offsets(settings, projector)
            async with projector_running(settings, group=f"{p}g2", projector=projector):
                await asyncio.sleep(3)  # the whole topic is re-read (and skipped)
            same_projector = await snapshot(settings, p)
            async with projector_running(settings, group=f"{p}g3", projector=f"{p}other"):
                await wait_projected(settings, f"{p}other", last)
            other_projector = await snapshot(settings, p)
            return first, offsets, same_projector, other_projector, await stored_offsets(settings, projector), last

        first, offsets, same_projector, other_projector, offsets_after, last = asyncio.run(scenario())
        assert EXPECTED_NODES == first.node_counts()
        assert EXPECTED_RELATIONSHIPS == first.relationship_counts()
        assert last == offsets == offsets_after
        assert first == same_projector
        assert first == other_projector

    def test_lineage_and_audit_queries_on_the_projected_stream(
        self, stack_settings: Settings, new_prefix: Callable[[str], str]
    ) -> None:
        """Lineage of an embedding reaches its source row and hash; used-by, shared-tensors and
        window answer from the same graph."""
        p = new_prefix("t")
        settings = graph_settings(stack_settings, p)
        start = datetime(2001, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=random.randrange(10**9))
        f = LifecycleEvents(p, start=start)

        async def scenario() -> tuple:
            stream = lifecycle_stream(f)
            # the student's tensors: one shared with its parent by content, one new
            stream.append((f.model_decomposed("student", tensors=[
                {"name": "encoder.layer.0.attention.self.query.weight", "content_hash": f.H1,
                 "layer": "encoder.layer.0"},
                {"name": "pooler.weight", "content_hash": f.H2}]), f.name("student")))
            last = await publish(settings, stream)
            async with projector_running(settings, group=f"{p}g", projector=f"{p}graph"):
                await wait_projected(settings, f"{p}graph", last)
            async with GraphClient(settings) as client:
                return (
                    await library.lineage(client, f"{p}minilm|{p}1", kind="embedding"),
                    await library.used_by(client, f"{p}minilm"),
                    await library.shared_tensors(client, f"{p}student"),
                    await library.window(client, (start + timedelta(seconds=1.5)).isoformat(),
                                         (start + timedelta(seconds=3.5)).isoformat()),
                )

        lineage, used_by, shared, window = asyncio.run(scenario())
        edges = {(r["from_label"], r["rel"], r["to_label"]) for r in lineage if r["depth"]}
        assert {("Embedding", "EMBEDS", "Document"), ("Document", "WAS_GENERATED_BY", "Ingestion"),
                ("Ingestion", "USED", "Table"), ("Embedding", "WAS_GENERATED_BY", "EmbeddingJob"),
                ("EmbeddingJob", "USED", "Model"), ("Model", "WAS_GENERATED_BY", "Decomposition"),
                ("Ingestion", "TRIGGERED_BY", "Event"), ("Event", "TRIGGERED_BY", "Event")} <= edges
        ingestion = next(r for r in lineage if r["to_label"] == "Ingestion")
        assert ('{"id":"' + f"{p}1" + '"}', f.H1) == (ingestion["row_key"], ingestion["hash"])
        table = next(r for r in lineage if r["to_label"] == "Table")
        assert f"postgres://{p}db/public.documents" == table["to_key"]
        assert {"inferences": 2, "embedding_jobs": 2, "derived_models": 1} == used_by["counts"]
        inference = next(r for r in used_by["rows"] if r["id"] == f"{p}5")
        assert sorted([f"{p}1", f"{p}2"]) == sorted(inference["knowledge"])
        assert [(f"{p}minilm", 1, 2, ["layers"])] == [
            (r["model"], r["shared"], r["total"], r["relation"]) for r in shared]
        assert [f"{p}evt-2", f"{p}evt-3"] == [r["event"] for r in window]


class TestMalformed:
    """A payload that can never be projected goes to the DLQ alone; its neighbours are projected."""

    def test_bad_events_dead_lettered_alone(self, stack_settings: Settings, new_prefix: Callable[[str], str]) -> None:
        """One event fails the projection's own checks, one is refused by Neo4j (an integer out
        of its range); both land in the DLQ with their reason, the rest of the batch is written."""
        p = new_prefix("t")
        settings = graph_settings(stack_settings, p, consumer_batch_size=50)
        f = LifecycleEvents(p)
        malformed = f.document_change(3)
        malformed.get_data()["change"] = {"op": "insert"}  # schema-valid, but no source table
        refused = f.embedding_created(2)
        refused.get_data()["dimension"] = 2**70  # valid JSON Schema integer, beyond Neo4j's int64
        stream = [(f.document_change(1), "k"), (malformed, "k"), (f.document_change(2), "k"), (refused, "k"),
                  (f.embedding_created(1), "k")]

        async def scenario() -> tuple:
            last = await publish(settings, stream)
            async with projector_running(settings, group=f"{p}g", projector=f"{p}graph"):
                await wait_projected(settings, f"{p}graph", last)
                dead = await read_records(settings, settings.topics.dlq, 2)
            return dead, await snapshot(settings, p)

        dead, graph = asyncio.run(scenario())
        assert ["GraphWriteError", "ProjectionError"] == sorted(
            read_reason(r.headers)["hartonomous.error.type"] for r in dead)
        assert {malformed.get_id(), refused.get_id()} == {
            json.loads(r.value)["id"] for r in dead}
        assert {"Document": 2, "Embedding": 1} == {
            k: v for k, v in graph.node_counts().items() if k in {"Document", "Embedding"}}
