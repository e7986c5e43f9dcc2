"""Running the enricher and the embedder in-process against the real stack (issue 4 tests)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pgvector.psycopg import register_vector

from consumers import embedder as embedder_service
from consumers import enricher as enricher_service
from hartonomous.bus import ensure_topics
from hartonomous.config import Settings, Topics
from hartonomous.embedding import Encoder
from hartonomous.embedding.store import as_matrix
from hartonomous.events import decode
from hartonomous.store import migrate
from tests.integration.kafka_helpers import unique


def private_settings(stack_settings: Settings, root: Path, **changes: Any) -> Settings:
    """Settings with test-unique topics and ``root`` as the only allowed root."""
    topics = Topics(
        cdc=unique("t4.cdc"), commands=unique("t4.commands"), enriched=unique("t4.enriched"),
        jobs_embed=unique("t4.jobs.embed"), jobs_decompose=unique("t4.jobs.decompose"), dlq=unique("t4.dlq"),
    )
    return stack_settings.replace(topics=topics, allowed_roots=(root,), consumer_linger_ms=20, **changes)


@contextlib.asynccontextmanager
async def pipeline(
    settings: Settings, encoder: Encoder, *, enricher: bool = True, embedder: bool = True
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """The enricher and/or the embedder running as tasks until the block ends."""
    await ensure_topics(settings)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    if enricher:
        tasks.append(asyncio.create_task(enricher_service.run(
            settings, stop, group_id=unique("g.enricher"), encoder=encoder)))
    if embedder:
        tasks.append(asyncio.create_task(embedder_service.run(
            settings, stop, group_id=unique("g.embedder"), encoder=encoder)))
    try:
        yield tasks
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)


async def wait_until(check: Callable[[], Any], *, timeout_s: float = 60.0, tasks: Sequence[asyncio.Task[None]] = (),
                     what: str = "condition") -> Any:
    """Poll ``check`` (sync) until it returns something truthy; fail early if a service died."""
    deadline = time.monotonic() + timeout_s
    while True:
        for task in tasks:
            if task.done():
                task.result()
                raise AssertionError("a service stopped early")
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def connect(settings: Settings) -> psycopg.Connection:
    conn = psycopg.connect(settings.pg_url, autocommit=True)
    register_vector(conn)
    return conn


def embeddings_of(settings: Settings, uri_prefix: str) -> dict[int, tuple[str, str, np.ndarray, Any]]:
    """document id -> (content, embedded content hash, vector, updated_at) under a source URI prefix."""
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT d.id, d.content, x.content_hash, x.embedding, x.updated_at FROM documents d "
            "JOIN embeddings x ON x.document_id = d.id JOIN embedders e ON e.id = x.embedder_id "
            "WHERE d.source_uri LIKE %s AND e.name = %s", (uri_prefix + "%", settings.embedder_name),
        ).fetchall()
    return {r[0]: (r[1], r[2], as_matrix([r[3]])[0], r[4]) for r in rows}


def documents_of(settings: Settings, uri_prefix: str) -> dict[int, tuple[str, str]]:
    """document id -> (content, content hash) under a source URI prefix."""
    with connect(settings) as conn:
        rows = conn.execute("SELECT id, content, content_hash FROM documents WHERE source_uri LIKE %s",
                            (uri_prefix + "%",)).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def topic_events(settings: Settings, topic: str, *, idle_s: float = 1.5) -> list[tuple[ConsumerRecord, Any]]:
    """Every record on ``topic`` so far (read until ``idle_s`` passes with nothing new), decoded when possible."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[tuple[ConsumerRecord, Any]] = []
    try:
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            polled = await consumer.getmany(timeout_ms=200)
            for records in polled.values():
                for rec in records:
                    last = time.monotonic()
                    try:
                        out.append((rec, decode(rec.value, rec.headers)))
                    except Exception:  # noqa: BLE001 - a DLQ record may hold bytes that are not an event
                        out.append((rec, None))
    finally:
        await consumer.stop()
    return out


@contextlib.contextmanager
def private_database(settings: Settings) -> Iterator[Settings]:
    """A fresh, migrated database on the stack's server (with a CDC slot and publication of
    its own for ``documents``), dropped afterwards with its replication slot."""
    name = f"it4_{uuid.uuid4().hex[:10]}"
    admin = make_conninfo(settings.pg_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    private = settings.replace(pg_url=make_conninfo(settings.pg_url, dbname=name), cdc_pg_tables="public.documents",
                               cdc_pg_slot=name, cdc_pg_publication=name, cdc_heartbeat_s=1.0)
    try:
        migrate(private)
        yield private
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (name,)).fetchone():
                conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
