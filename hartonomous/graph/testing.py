"""Test helpers for the graph area: an in-memory projection store (unit tests of pure logic),
a builder of lifecycle events, and a private Neo4j for tests and benchmarks that must not
disturb the shared one."""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hartonomous.config import Settings
from hartonomous.events import Event, new_event, types
from hartonomous.graph.exceptions import GraphTransientError, GraphWriteError
from hartonomous.graph.offsets import BatchItem, BatchPlan, OffsetState, plan_batch
from hartonomous.graph.projection import Projection
from hartonomous.graph.sink import PartitionKey

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


class FakeProjectionStore:
    """An in-memory :class:`~hartonomous.graph.sink.ProjectionStore` with the same offset logic
    as the Neo4j one: a failing transaction changes nothing.

    ``fail`` decides per transaction (the plan it would commit) whether it raises: return an
    exception to raise, or None to commit. ``written`` holds the committed projections in order.
    """

    def __init__(self, fail: Callable[[BatchPlan], BaseException | None] | None = None) -> None:
        self.states: dict[str, OffsetState] = {}
        self.written: list[Projection] = []
        self.transactions = 0
        self._fail = fail

    async def apply(self, where: PartitionKey, batch_start: int, items: Sequence[BatchItem]) -> BatchPlan:
        """Plan as Neo4j would; commit unless ``fail`` says otherwise."""
        plan = plan_batch(self.states.get(where.key, OffsetState()), batch_start, items)
        error = self._fail(plan) if self._fail else None
        if error is not None:
            raise error
        self.transactions += 1
        if not plan.projection.empty:
            self.written.append(plan.projection)
        self.states[where.key] = plan.state
        return plan


def refuse_offsets(*offsets: int, transient: bool = False) -> Callable[[BatchPlan], BaseException | None]:
    """A ``fail`` rule: any transaction applying one of ``offsets`` raises (as Neo4j would for
    a write it refuses, or a deadlock when ``transient``)."""
    bad = set(offsets)

    def rule(plan: BatchPlan) -> BaseException | None:
        if bad & set(plan.applied):
            return GraphTransientError("deadlock (fake)") if transient else GraphWriteError("refused (fake)")
        return None

    return rule


class LifecycleEvents:
    """Builds the lifecycle events the projector reads, as the pipeline's producers publish them.

    Every id, name, content hash, database and service carries ``prefix``, so tests sharing one
    Neo4j never touch each other's nodes; event ids are numbered in build order and event ``n``
    is dated ``start + n`` seconds, so two factories with different prefixes build the same
    stream up to the prefix.
    """

    MODEL = "minilm"
    H1, H2, H3 = "a" * 64, "b" * 64, "c" * 64

    def __init__(self, prefix: str = "", *, start: datetime = T0) -> None:
        self.prefix = prefix
        self.start = start
        self._seq = 0
        if prefix:  # content hashes of their own too: shared-tensor queries must not see other tests
            self.H1, self.H2, self.H3 = (hashlib.sha256(f"{prefix}{i}".encode()).hexdigest() for i in range(3))

    def doc(self, n: int) -> int | str:
        """The id of document ``n`` (an integer, as a database has it, unless prefixed)."""
        return f"{self.prefix}{n}" if self.prefix else n

    def name(self, name: str) -> str:
        """``name`` with the prefix."""
        return f"{self.prefix}{name}"

    def document_change(self, n: int, *, op: str = "insert", content_hash: str | None = None) -> Event:
        """change.enriched of a ``documents`` row (CDC from PostgreSQL)."""
        content_hash = content_hash or self.H1
        row = {"id": self.doc(n), "source_uri": f"file:///corpus/{n}.txt", "title": f"doc {n}", "content": "text",
               "content_hash": content_hash, "category": "science"}
        change = {
            "op": op,
            "source": {"system": "postgres", "db": self.name("db"), "schema": "public", "table": "documents",
                       "commit_lsn": f"0/{self._seq + 1:X}", "sequence": self._seq + 1,
                       "commit_time": "2025-03-01T11:59:59+00:00"},
            "key": {"id": self.doc(n)},
            "before": row if op == "delete" else None,
            "after": None if op == "delete" else row,
        }
        data = {"source_event_id": self.name(f"cdc-{self._seq + 1}"), "source_type": types.CDC_ROW_CHANGED,
                "operation": op, "entity": "documents", "category": "science", "category_confidence": 0.9,
                "content_hash": content_hash, "change": change}
        return self._event(types.CHANGE_ENRICHED, data, "enricher")

    def inference_change(self, n: int, *, documents: Sequence[int] = (1, 2)) -> Event:
        """change.enriched of an ``inference_requests`` row (a search that returned ``documents``)."""
        ids = ",".join(f'"{self.doc(d)}"' for d in documents)
        row = {"id": self.doc(n), "kind": "search", "inputs": '{"query": "what"}',
               "models": "{" + self.name(self.MODEL) + "}", "result_ids": "{" + ids + "}", "results": "{}",
               "duration_ms": "12.5", "requested_by": self.name("alice"), "created_at": "2025-03-01T11:00:00+00:00"}
        change = {"op": "insert",
                  "source": {"system": "postgres", "db": self.name("db"), "schema": "public",
                             "table": "inference_requests", "commit_lsn": "0/1", "sequence": 2, "commit_time": None},
                  "key": {"id": self.doc(n)}, "before": None, "after": row}
        data = {"source_event_id": self.name(f"cdc-{self._seq + 1}"), "source_type": types.CDC_ROW_CHANGED,
                "operation": "insert", "entity": "inference_requests", "change": change}
        return self._event(types.CHANGE_ENRICHED, data, "enricher")

    def embedding_created(self, n: int, **extra: Any) -> Event:
        """embedding.created of document ``n`` by the model."""
        data = {"document_id": self.doc(n), "embedder": self.name(self.MODEL), "content_hash": self.H1,
                "dimension": 384, **extra}
        return self._event(types.EMBEDDING_CREATED, data, "embedder")

    def model_decomposed(self, name: str = MODEL, **extra: Any) -> Event:
        """model.decomposed with two tensors (one in a layer, one outside); ``extra`` overrides."""
        data: dict[str, Any] = {
            "model_id": 1, "name": self.name(name), "format": "safetensors", "file_hash": self.H2,
            "tensor_count": 2, "layer_count": 1, "bytes": 1000, "source_uri": f"file:///models/{name}.safetensors",
            "tensors": [
                {"name": "encoder.layer.0.attention.self.query.weight", "content_hash": self.H1,
                 "layer": "encoder.layer.0", "layer_index": 0, "component": "attention", "dtype": "F32",
                 "shape": [384, 384]},
                {"name": "embeddings.word_embeddings.weight", "content_hash": self.H3, "layer": None,
                 "component": "embedding", "dtype": "F32", "shape": [30522, 384]},
            ],
        }
        data.update(extra)
        return self._event(types.MODEL_DECOMPOSED, data, "decomposer")

    def model_extracted(self, name: str = "student", parent: str = MODEL, **extra: Any) -> Event:
        """model.extracted of a student by layers."""
        data = {"model_id": 2, "name": self.name(name), "parent": self.name(parent), "method": "layers",
                "selection": {"layers": [0]}, **extra}
        return self._event(types.MODEL_EXTRACTED, data, "query")

    def inference_logged(
        self, n: int, *, documents: Sequence[int] = (1,), models: Sequence[str] = (MODEL,)
    ) -> Event:
        """inference.logged of a generation that used ``models`` and ``documents``."""
        data = {"request_id": self.doc(n), "kind": "generate", "models": [self.name(m) for m in models],
                "documents": [self.doc(d) for d in documents], "duration_ms": 3.0,
                "requested_by": self.name("bob")}
        return self._event(types.INFERENCE_LOGGED, data, "query")

    def _event(self, event_type: str, data: dict[str, Any], service: str) -> Event:
        self._seq += 1
        return new_event(event_type, data, source=f"/{self.prefix}hartonomous/{service}",
                         event_id=self.name(f"evt-{self._seq}"), time=self.start + timedelta(seconds=self._seq))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def private_neo4j(base: Settings, root: Path, *, heap: str = "512m", pagecache: str = "64m") -> Iterator[Settings]:
    """A Neo4j of our own (own port, own state under ``root``), stopped on exit, so tests and
    benchmarks that stop it or fill it disturb no one; the jars are the stack's (symlinked)."""
    from hartonomous.stack.neo4j import Neo4jService
    from hartonomous.stack.service import ServiceDirs

    settings = base.replace(state_dir=root, neo4j_bolt_port=free_port(), neo4j_uri="", neo4j_password="",
                            neo4j_heap=heap, neo4j_pagecache=pagecache)
    dirs = ServiceDirs.of(settings, "neo4j")
    dirs.root.mkdir(parents=True, exist_ok=True)
    shared_lib = ServiceDirs.of(base, "neo4j").lib
    if shared_lib.is_dir() and not dirs.lib.exists():
        dirs.lib.symlink_to(shared_lib.resolve())
    service = Neo4jService()
    service.up(settings)
    try:
        yield settings
    finally:
        service.down(settings)
