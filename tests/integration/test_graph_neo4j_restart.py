"""Neo4j stopped during a burst and started again: the projector recovers by itself, with no
loss and no duplicate. Runs on a Neo4j of its own (own port and state), so stopping it disturbs
no one else's tests."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.events import Event
from hartonomous.graph.testing import LifecycleEvents, private_neo4j
from hartonomous.stack.neo4j import Neo4jService
from tests.integration.graph_support import (
    graph_settings,
    projector_running,
    publish,
    snapshot,
    stored_offsets,
    wait_projected,
)

pytestmark = pytest.mark.integration
DOCS = 30


def burst(f: LifecycleEvents, first: int, last: int) -> list[tuple[Event, str]]:
    out: list[tuple[Event, str]] = []
    for n in range(first, last):
        out.append((f.document_change(n), f"documents:{f.doc(n)}"))
        out.append((f.embedding_created(n), str(f.doc(n))))
    return out


class TestNeo4jRestart:
    """Transient unavailability is retried without committing; nothing is lost or doubled."""

    def test_neo4j_stopped_and_started_during_a_burst(self, stack_settings: Settings, tmp_path: Path) -> None:
        """A third of the burst before the stop, a third while Neo4j is down, the rest after it is
        back: every document and embedding is in the graph exactly once, offsets at the end."""
        p = f"r{uuid.uuid4().hex[:8]}-"
        f = LifecycleEvents(p)
        service = Neo4jService()
        with private_neo4j(stack_settings, tmp_path / "state") as neo4j_settings:
            settings = graph_settings(neo4j_settings, p, consumer_batch_size=5, consumer_max_retries=12)

            async def scenario() -> tuple:
                # a short driver retry budget, so the runtime's own backoff (TransientError) is used
                async with projector_running(settings, group=f"{p}g", projector=f"{p}graph",
                                             transaction_retry_s=3.0) as task:
                    last = await publish(settings, burst(f, 0, DOCS // 3))
                    await wait_projected(settings, f"{p}graph", last)
                    await asyncio.to_thread(service.down, settings)
                    last = await publish(settings, burst(f, DOCS // 3, 2 * DOCS // 3))
                    await asyncio.sleep(2)  # the projector meets the stopped server
                    await asyncio.to_thread(service.up, settings)
                    last = await publish(settings, burst(f, 2 * DOCS // 3, DOCS))
                    await wait_projected(settings, f"{p}graph", last, timeout_s=240)
                    alive = not task.done()
                return alive, last, await stored_offsets(settings, f"{p}graph"), await snapshot(settings, p)

            alive, last, offsets, graph = asyncio.run(scenario())
        assert alive
        assert last == offsets
        assert {"Document": DOCS, "Ingestion": DOCS, "Embedding": DOCS, "EmbeddingJob": DOCS, "Model": 1,
                "Table": 1, "Service": 2, "Event": 3 * DOCS} == graph.node_counts()
        assert {"WAS_GENERATED_BY": 2 * DOCS, "USED": 3 * DOCS, "EMBEDS": DOCS, "TRIGGERED_BY": 3 * DOCS,
                "WAS_ASSOCIATED_WITH": 2 * DOCS} == graph.relationship_counts()
