"""The embedder: embed jobs in, embeddings stored and announced.

Reads ``hartonomous.jobs.embed`` in a consumer group (several processes share the partitions;
jobs are keyed by document, so one document's jobs stay in order on one partition). For each
batch:

1. load the referenced documents with the hash of their current embedding;
2. skip a job whose document is gone or holds other text now (superseded), and one whose
   embedding is already current (a redelivery: it is announced again, never re-encoded);
3. encode the rest in one call (batches of ``embed_batch_size``) and upsert the embeddings
   together with the job outcomes in one transaction (projection NULL: a background task
   projects new rows to 3-D when the embedder is idle, see
   :mod:`hartonomous.embedding.projector`);
4. announce ``embedding.created`` on ``hartonomous.enriched``; the runtime then commits.

A crash anywhere replays the batch: the upsert is keyed by (document, embedder) and guarded
by the content hash, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Sequence

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection

from hartonomous.bus import ConsumerRuntime, Delivery, EventPublisher, Failure, Outgoing, PublishError, TransientError
from hartonomous.config import Settings
from hartonomous.embedding import Encoder, load_encoder
from hartonomous.embedding.embed_jobs import JobPlan, created_event, parse_jobs, plan_batch
from hartonomous.embedding.projector import BackgroundProjector
from hartonomous.embedding.store import (
    EmbedderRow,
    load_documents,
    record_job_outcomes,
    register_embedder,
    upsert_embeddings,
)
from hartonomous.logging import get_logger
from hartonomous.store import connect_async, migrate, queries

DEFAULT_GROUP = "hartonomous.embedder"


class Embedder:
    """A :class:`~hartonomous.bus.BatchHandler` that embeds documents with one encoder.

    ``crash_after_batches`` is a test hook: SIGKILL this process right after that many batches
    were committed to the store (before the announcements and the Kafka commit).
    """

    name = "embedder"

    def __init__(
        self,
        settings: Settings,
        publisher: EventPublisher,
        *,
        encoder: Encoder | None = None,
        crash_after_batches: int | None = None,
        project: bool = True,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._encoder = encoder
        self._crash_after = crash_after_batches
        self._batches = 0
        self.jobs_handled = 0
        self._sql = queries(settings)
        self._conn: AsyncConnection | None = None
        self._row: EmbedderRow | None = None
        self._project = project
        self._projector: asyncio.Task[None] | None = None
        self._last_batch = time.monotonic()
        self._log = get_logger("consumer.embedder", embedder=settings.embedder_name)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            raise RuntimeError("embedder: setup() has not loaded the encoder")
        return self._encoder

    async def setup(self) -> None:
        await asyncio.to_thread(migrate, self._settings)
        bundled = self._encoder is None
        if self._encoder is None:
            self._encoder = await asyncio.to_thread(load_encoder, self._settings)
        conn = await self._connection()
        self._row = await register_embedder(conn, self._sql, self.encoder)
        if bundled:
            await asyncio.to_thread(_store_encoder_as_rows, self._settings)
        if self._project:
            projector = BackgroundProjector(self._settings, self._row.id, self._row.name)
            self._projector = asyncio.create_task(projector.run(lambda: self._last_batch))
        self._log.info("embedder_ready", embedder_id=self._row.id, dimension=self._row.dimension)

    async def close(self) -> None:
        if self._projector is not None:
            self._projector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._projector
            self._projector = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        self._last_batch = time.monotonic()
        try:
            return await self._handle(batch)
        except (psycopg.OperationalError, PublishError) as exc:
            if isinstance(exc, psycopg.OperationalError):
                await self.close()
            raise TransientError(f"embedder: {type(exc).__name__}: {exc}") from exc

    async def _handle(self, batch: Sequence[Delivery]) -> list[Failure]:
        conn = await self._connection()
        row = self._row
        assert row is not None, "setup() registers the embedder"
        jobs, failures = parse_jobs(batch, row.name)
        self.jobs_handled += len(jobs)
        if not jobs:
            return failures
        documents = await load_documents(conn, self._sql, row.id, sorted({j.document_id for j in jobs}))
        plan = plan_batch(jobs, documents)
        vectors = await asyncio.to_thread(self.encoder.encode, [d.content for d in plan.to_encode])
        async with conn.transaction():
            written = await upsert_embeddings(
                conn, self._sql, embedder_id=row.id, documents=plan.to_encode, vectors=vectors,
                projections=None, projection_version=0,
            )
            await record_job_outcomes(conn, self._sql, plan.outcomes(written))
        self._maybe_crash()
        await self._announce(plan, written, row)
        self._last_batch = time.monotonic()
        self._log.debug("batch_embedded", jobs=len(jobs), encoded=len(plan.to_encode), written=len(written),
                        partition=batch[0].partition, offset=batch[-1].offset)
        return failures

    async def _announce(self, plan: JobPlan, written: set[int], row: EmbedderRow) -> None:
        events = [
            created_event(job, doc, row)
            for job, doc in plan.announcements(written)
        ]
        if events:
            await self._publisher.publish_many(
                [Outgoing(self._settings.topics.enriched, e, e.get_extension("partitionkey")) for e in events]
            )

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed:
            try:
                conn = await connect_async(self._settings, autocommit=True)
                await register_vector_async(conn)
            except psycopg.OperationalError as exc:
                raise TransientError(f"embedder: cannot connect to the store: {exc}") from exc
            self._conn = conn
        return self._conn

    def _maybe_crash(self) -> None:
        self._batches += 1
        if self._crash_after is not None and self._batches >= self._crash_after:
            self._log.warning("test_hook_crash", batches=self._batches)
            os.kill(os.getpid(), signal.SIGKILL)


async def run(
    settings: Settings,
    stop: asyncio.Event,
    *,
    group_id: str = DEFAULT_GROUP,
    encoder: Encoder | None = None,
    crash_after_batches: int | None = None,
    topics: Sequence[str] | None = None,
    project: bool = True,
) -> None:
    """Run the embedder until ``stop`` is set (``hartonomous run embedder``); ``project=False``
    leaves new rows unprojected (a refit, or another embedder process, fills them)."""
    service_settings = settings.replace(consumer_linger_ms=settings.embed_linger_ms)
    publisher = EventPublisher(service_settings)
    handler = Embedder(service_settings, publisher, encoder=encoder, crash_after_batches=crash_after_batches,
                       project=project)
    runtime = ConsumerRuntime(service_settings, handler, group_id=group_id, publisher=publisher,
                              topics=list(topics) if topics else [settings.topics.jobs_embed])
    try:
        await runtime.run(stop)
    finally:
        await publisher.stop()


def _store_encoder_as_rows(settings: Settings) -> None:
    """The encoder behind every embedding is itself rows in the database (idempotent; a
    concurrent embedder that stored it first makes the second attempt a no-op)."""
    from hartonomous.models import ensure_embedder_model

    try:
        ensure_embedder_model(settings)
    except psycopg.errors.UniqueViolation:
        ensure_embedder_model(settings)
