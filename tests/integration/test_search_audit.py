"""The audit trail end to end: a search's inference.logged event projected into Neo4j."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from neo4j import AsyncGraphDatabase

from hartonomous.bus import ensure_topics
from hartonomous.config import Settings
from hartonomous.graph import driver_auth
from hartonomous.query.search import search
from hartonomous.query.testing import bulk_load
from hartonomous.store import migrate
from tests.integration.graph_support import graph_settings, projector_running

pytestmark = pytest.mark.integration

GLOSSES = ["a large natural stream of water", "an instrument for measuring temperature",
           "a body of salt water smaller than an ocean", "the fruit of the apple tree"]


async def _lineage(settings: Settings, request_id: int, timeout_s: float = 60.0) -> tuple[list[str], list[str]]:
    """The models and documents the Inference node links to, once it is projected."""
    async with AsyncGraphDatabase.driver(settings.bolt_uri, auth=driver_auth(settings)) as driver:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            result = await driver.execute_query(
                "MATCH (i:Inference) WHERE toString(i.id) = $id "
                "OPTIONAL MATCH (i)-[:USED_MODEL]->(m:Model) OPTIONAL MATCH (i)-[:GENERATED_FROM]->(d:Document) "
                "RETURN collect(DISTINCT m.name) AS models, collect(DISTINCT toString(d.id)) AS documents",
                id=str(request_id))
            record = result.records[0] if result.records else None
            if record is not None and record["models"]:
                return sorted(record["models"]), sorted(record["documents"])
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no Inference {request_id} in the graph")
            await asyncio.sleep(0.3)


async def _forget(settings: Settings, request_id: int, embedder: str) -> None:
    async with AsyncGraphDatabase.driver(settings.bolt_uri, auth=driver_auth(settings)) as driver:
        await driver.execute_query("MATCH (i:Inference) WHERE toString(i.id) = $id DETACH DELETE i", id=str(request_id))
        await driver.execute_query("MATCH (m:Model {name: $name}) DETACH DELETE m", name=embedder)


class TestSearchLineage:
    """(:Inference)-[:USED_MODEL]->(:Model) and -[:GENERATED_FROM]->(:Document) for a real search."""

    def test_search_is_in_the_graph(self, stack_settings: Settings) -> None:
        """The projector turns the search's event into the inference, its embedder and its hits."""
        from hartonomous.embedding import load_encoder

        prefix = f"q7audit{uuid.uuid4().hex[:8]}."
        settings = graph_settings(stack_settings, prefix)
        migrate(settings)
        asyncio.run(ensure_topics(settings, [settings.topics.enriched, settings.topics.dlq]))
        encoder = load_encoder(settings)
        texts = [f"{g} ({prefix})" for g in GLOSSES]
        embedder = f"q7-audit-{prefix.rstrip('.')}"
        bulk_load(settings, texts, encoder.encode(texts), embedder=embedder)
        result = search(settings, "a river", k=2, mode="exact", embedder=embedder, encoder=encoder)
        assert result.request_id is not None

        async def run() -> tuple[list[str], list[str]]:
            async with projector_running(settings, group=f"{prefix}g", projector=f"{prefix}p"):
                return await _lineage(settings, result.request_id)  # type: ignore[arg-type]

        try:
            models, documents = asyncio.run(run())
        finally:
            asyncio.run(_forget(settings, result.request_id, embedder))
        assert ([embedder], sorted(str(h.document_id) for h in result.hits)) == (models, documents)
