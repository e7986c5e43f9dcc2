"""Helpers of the graph integration tests: publish a stream, run the projector, snapshot the
graph's nodes and relationships of one test (every key of a test carries its prefix)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase

from consumers.graph_projector import run as run_projector
from hartonomous.bus import EventPublisher, Outgoing, ensure_topics
from hartonomous.config import Settings, Topics
from hartonomous.events import Event
from hartonomous.graph import driver_auth
from hartonomous.graph.testing import LifecycleEvents

# label -> key property; Table and Service keys hold the prefix inside, not at the start
KEYS = {
    "Document": "id", "Embedding": "id", "Model": "name", "Layer": "key", "Tensor": "key", "Table": "key",
    "Ingestion": "id", "EmbeddingJob": "id", "Decomposition": "id", "Inference": "id", "Extraction": "id",
    "Service": "name", "User": "name", "Event": "id",
}
POSITION_PROPS = {"topic", "partition", "offset"}


def graph_settings(base: Settings, prefix: str, **changes: Any) -> Settings:
    """Private topics (enriched, DLQ) for one test; small batches so several transactions run."""
    topics = Topics(enriched=f"{prefix}enriched", dlq=f"{prefix}dlq")
    return base.replace(topics=topics, consumer_linger_ms=20, **changes)


def lifecycle_stream(f: LifecycleEvents) -> list[tuple[Event, str]]:
    """A whole lifecycle: a model, documents, their embeddings, a student, two inferences.
    Each event with its Kafka key (the entity id)."""
    return [
        (f.model_decomposed(), f.name("minilm")),
        (f.document_change(1), f"documents:{f.doc(1)}"),
        (f.document_change(2), f"documents:{f.doc(2)}"),
        (f.embedding_created(1), str(f.doc(1))),
        (f.embedding_created(2), str(f.doc(2))),
        (f.model_extracted(), f.name("student")),
        (f.inference_change(5, documents=(1, 2)), f"inference_requests:{f.doc(5)}"),
        (f.inference_logged(6, documents=(1,)), str(f.doc(6))),
    ]


EXPECTED_NODES = {
    "Model": 2, "Decomposition": 1, "Extraction": 1, "Layer": 1, "Tensor": 2, "Document": 2, "Ingestion": 2,
    "Table": 2, "EmbeddingJob": 2, "Embedding": 2, "Inference": 2, "Service": 4, "User": 2, "Event": 11,
}
EXPECTED_RELATIONSHIPS = {
    "HAS_LAYER": 1, "HAS_TENSOR": 2, "WAS_GENERATED_BY": 6, "WAS_DERIVED_FROM": 1, "USED": 7, "EMBEDS": 2,
    "USED_MODEL": 2, "GENERATED_FROM": 3, "RECORDED_IN": 1, "TRIGGERED_BY": 11, "WAS_ASSOCIATED_WITH": 10,
}


async def publish(settings: Settings, events: Sequence[tuple[Event, str]]) -> dict[int, int]:
    """Publish in order; return the last offset written to each partition."""
    await ensure_topics(settings, [settings.topics.enriched, settings.topics.dlq])
    async with EventPublisher(settings) as publisher:
        metas = await publisher.publish_many([Outgoing(settings.topics.enriched, e, key) for e, key in events])
    last: dict[int, int] = {}
    for meta in metas:
        last[meta.partition] = max(last.get(meta.partition, -1), meta.offset)
    return last


async def stored_offsets(settings: Settings, projector: str) -> dict[int, int]:
    async with AsyncGraphDatabase.driver(settings.bolt_uri, auth=driver_auth(settings)) as driver:
        result = await driver.execute_query(
            "MATCH (o:Offset) WHERE o.projector = $p AND o.topic = $t RETURN o.partition AS p, o.offset AS o",
            p=projector, t=settings.topics.enriched)
    return {r["p"]: r["o"] for r in result.records}


async def wait_projected(settings: Settings, projector: str, last: dict[int, int], timeout_s: float = 90.0) -> None:
    """Until the projector's offset nodes reach the last published offset of every partition."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            stored = await stored_offsets(settings, projector)
        except Exception:  # noqa: BLE001 - Neo4j may be restarting in some tests
            stored = {}
        if all(stored.get(p, -1) >= o for p, o in last.items()):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"projected {stored}, expected {last}")
        await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def projector_running(settings: Settings, *, group: str, projector: str,
                            transaction_retry_s: float = 30.0) -> AsyncIterator[asyncio.Task[None]]:
    """The projector service in this event loop, stopped (cleanly) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_projector(settings, stop, group_id=group, projector=projector,
                                             transaction_retry_s=transaction_retry_s))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


@dataclass(frozen=True)
class Snapshot:
    """A test's nodes and relationships, with its prefix replaced so two runs compare equal."""

    nodes: frozenset[tuple[Any, ...]]
    relationships: frozenset[tuple[Any, ...]]

    def node_counts(self) -> dict[str, int]:
        return dict(Counter(n[0] for n in self.nodes))

    def relationship_counts(self) -> dict[str, int]:
        return dict(Counter(r[0] for r in self.relationships))


_PREFIXED = (
    "MATCH (n:$($label)) WHERE CASE WHEN $inside THEN n[$key] CONTAINS $p ELSE n[$key] STARTS WITH $p END "
)


async def delete_prefixed(settings: Settings, prefix: str) -> None:
    """Remove a test's nodes (and its projectors' offset nodes) from the shared graph."""
    async with AsyncGraphDatabase.driver(settings.bolt_uri, auth=driver_auth(settings)) as driver:
        for label, key in KEYS.items():
            await driver.execute_query(_PREFIXED + "DETACH DELETE n", label=label, key=key,
                                       inside=label in {"Table", "Service"}, p=prefix)
        await driver.execute_query("MATCH (o:Offset) WHERE o.projector STARTS WITH $p DELETE o", p=prefix)


@pytest.fixture
def new_prefix(stack_settings: Settings) -> Iterator[Callable[[str], str]]:
    """Hands out unique prefixes (``new_prefix("t")``); their nodes are deleted after the test."""
    made: list[str] = []

    def make(letter: str = "t") -> str:
        made.append(f"{letter}{uuid.uuid4().hex[:8]}-")
        return made[-1]

    yield make
    for prefix in made:
        asyncio.run(delete_prefixed(stack_settings, prefix))


def placeholders(f: LifecycleEvents) -> dict[str, str]:
    """What differs between two factories' streams: the prefix and the content hashes."""
    return {f.prefix: "<p>", f.H1: "<h1>", f.H2: "<h2>", f.H3: "<h3>"}


async def snapshot(settings: Settings, prefix: str, replace: dict[str, str] | None = None) -> Snapshot:
    """Every node of the test (by key) with its properties, and every relationship between them;
    strings in ``replace`` (default: the prefix) are replaced by their placeholders."""
    subst = replace or {prefix: "<p>"}
    nodes: set[tuple[Any, ...]] = set()
    ids: list[str] = []
    async with AsyncGraphDatabase.driver(settings.bolt_uri, auth=driver_auth(settings)) as driver:
        for label, key in KEYS.items():
            result = await driver.execute_query(
                _PREFIXED + "RETURN elementId(n) AS id, properties(n) AS props",
                label=label, key=key, inside=label in {"Table", "Service"}, p=prefix)
            for record in result.records:
                ids.append(record["id"])
                nodes.add((label, _norm(record["props"][key], subst), _props(record["props"], subst)))
        result = await driver.execute_query(
            "MATCH (a)-[r]->(b) WHERE elementId(a) IN $ids "
            "RETURN type(r) AS t, labels(a)[0] AS la, labels(b)[0] AS lb, a AS a, b AS b, properties(r) AS props",
            ids=ids)
        rels = {
            (r["t"], r["la"], _norm(r["a"][KEYS[r["la"]]], subst), r["lb"], _norm(r["b"][KEYS[r["lb"]]], subst),
             _props(r["props"], subst))
            for r in result.records
        }
    return Snapshot(frozenset(nodes), frozenset(rels))


def _norm(value: Any, subst: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in subst.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return tuple(_norm(v, subst) for v in value)
    return str(value) if value is not None and not isinstance(value, (int, float, bool)) else value


def _props(props: dict[str, Any], subst: dict[str, str]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, _norm(v, subst)) for k, v in props.items() if k not in POSITION_PROPS))
