"""The enricher: changes and commands in, enriched events and jobs out.

Reads ``hartonomous.cdc`` (row changes, ours or SQL Server CES) and ``hartonomous.commands``
(ingestion requests). For each change it publishes ``change.enriched`` (operation, entity,
category with confidence, content hash) to ``hartonomous.enriched`` and, for text that is new
or changed and not yet embedded, ``job.embed.requested`` to ``hartonomous.jobs.embed``. An
ingestion request for documents is carried out here (read, chunk, store, request embeddings);
one for a model becomes ``job.decompose.requested`` on ``hartonomous.jobs.decompose``. The
pipeline's own tables (embeddings, embedders, jobs) are ignored. See
:mod:`hartonomous.enrichment` for the rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection

from hartonomous.bus import (
    ConsumerRuntime,
    Delivery,
    EventPublisher,
    Failure,
    Outgoing,
    PublishError,
    TransientError,
)
from hartonomous.cdc import ChangeReader
from hartonomous.config import Settings
from hartonomous.embedding import Category, CategoryClassifier, Encoder, load_encoder, parse_labels
from hartonomous.enrichment import EnrichmentRules, UnsupportedCommandError
from hartonomous.enrichment.changes import enrich_changes
from hartonomous.enrichment.ingestion import handle_ingest
from hartonomous.enrichment.jobs import record_requested
from hartonomous.events import types
from hartonomous.ingest import IngestError
from hartonomous.logging import get_logger
from hartonomous.store import connect_async, migrate, queries

DEFAULT_GROUP = "hartonomous.enricher"
CHANGE_TYPES = frozenset({types.CDC_ROW_CHANGED, types.SQLSERVER_CES_DML})
IGNORED_COMMANDS = frozenset({types.PING})
IngestCallback = Callable[[str, dict[str, Any]], None]
"""Called with (request event id, summary) after each ingestion request (``{"error": ...}`` if refused)."""


class Enricher:
    """A :class:`~hartonomous.bus.BatchHandler`; ``encoder`` is loaded in ``setup`` unless given
    (and unused when classification is off)."""

    name = "enricher"

    def __init__(
        self,
        settings: Settings,
        publisher: EventPublisher,
        *,
        encoder: Encoder | None = None,
        on_ingest: IngestCallback | None = None,
    ) -> None:
        self._settings = settings
        self._on_ingest = on_ingest
        self._publisher = publisher
        self._encoder = encoder
        self._classifier: CategoryClassifier | None = None
        self._rules = EnrichmentRules.from_settings(settings)
        self._reader = ChangeReader()
        self._sql = queries(settings)
        self._conn: AsyncConnection | None = None
        self._log = get_logger("consumer.enricher")

    async def setup(self) -> None:
        await asyncio.to_thread(migrate, self._settings)
        self._conn = await connect_async(self._settings, autocommit=True)
        if self._settings.enrich_classify:
            if self._encoder is None:
                self._encoder = await asyncio.to_thread(load_encoder, self._settings)
            labels = parse_labels(self._settings.enrich_category_labels)
            self._classifier = await asyncio.to_thread(CategoryClassifier, self._encoder, labels)
        self._log.info("enricher_ready", classify=self._classifier is not None)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def held_offset(self, topic: str, partition: int) -> int | None:
        """The oldest delivery held in an incomplete SQL Server CES group: the runtime does not
        commit past it, so a crash between segments loses nothing."""
        held = [raw.offset for raw in self._reader.pending_raws()
                if isinstance(raw, Delivery) and raw.topic == topic and raw.partition == partition]
        return min(held) if held else None

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        conn = await self._connection()
        try:
            return await self._handle(conn, batch)
        except (psycopg.OperationalError, PublishError) as exc:
            # the database or Kafka went away: retry the batch (everything here is idempotent)
            if isinstance(exc, psycopg.OperationalError):
                await self.close()
            raise TransientError(f"enricher: {type(exc).__name__}: {exc}") from exc

    async def _handle(self, conn: AsyncConnection, batch: Sequence[Delivery]) -> list[Failure]:
        failures: list[Failure] = []
        changes: list[Delivery] = []
        for delivery in batch:
            event_type = delivery.event.get_type()
            if event_type in CHANGE_TYPES:
                changes.append(delivery)
            elif event_type == types.INGEST_REQUESTED:
                failures.extend(await self._flush_changes(conn, changes))
                changes = []
                failures.extend(await self._ingest(conn, delivery))
            elif event_type in IGNORED_COMMANDS:
                self._log.info("command_ignored", type=event_type, event_id=delivery.event.get_id())
            else:
                failures.append(Failure(delivery, UnsupportedCommandError(
                    f"the enricher does not handle events of type {event_type!r}")))
        failures.extend(await self._flush_changes(conn, changes))
        return failures

    async def _flush_changes(self, conn: AsyncConnection, deliveries: list[Delivery]) -> list[Failure]:
        if not deliveries:
            return []
        result = await enrich_changes(self._settings, conn, self._sql, self._reader, self._rules,
                                      deliveries, self._classify if self._classifier else None)
        await self._publish(result.outgoing)
        await record_requested(conn, self._sql, result.jobs)
        self._log.debug("changes_enriched", changes=len(deliveries), jobs=len(result.jobs),
                        ignored=result.ignored, refused=len(result.failures))
        return result.failures

    async def _ingest(self, conn: AsyncConnection, delivery: Delivery) -> list[Failure]:
        log = self._log.bind(event_id=delivery.event.get_id(), offset=delivery.offset)
        try:
            summary = await handle_ingest(self._settings, conn, self._sql, delivery.event, self._publish)
        except IngestError as exc:
            log.warning("ingest_refused", error_type=type(exc).__name__, error=str(exc))
            if self._on_ingest is not None:
                self._on_ingest(delivery.event.get_id(), {"error": f"{type(exc).__name__}: {exc}"})
            return [Failure(delivery, exc)]
        log.info("ingest_done", **{k: v for k, v in summary.items() if isinstance(v, (int, str))})
        if self._on_ingest is not None:
            self._on_ingest(delivery.event.get_id(), summary)
        return []

    async def _publish(self, items: Sequence[Outgoing]) -> None:
        if items:
            await self._publisher.publish_many(items)

    async def _classify(self, texts: Sequence[str]) -> list[Category]:
        encoder, classifier = self._encoder, self._classifier
        assert encoder is not None and classifier is not None
        vectors = await asyncio.to_thread(encoder.encode, list(texts))
        return classifier.classify(vectors)

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = await connect_async(self._settings, autocommit=True)
            except psycopg.OperationalError as exc:
                raise TransientError(f"enricher: cannot connect to the store: {exc}") from exc
        return self._conn


async def run(settings: Settings, stop: asyncio.Event, *, group_id: str = DEFAULT_GROUP,
              topics: Sequence[str] | None = None, encoder: Encoder | None = None,
              on_ingest: IngestCallback | None = None) -> None:
    """Run the enricher until ``stop`` is set (``hartonomous run enricher``)."""
    publisher = EventPublisher(settings)
    handler = Enricher(settings, publisher, encoder=encoder, on_ingest=on_ingest)
    runtime = ConsumerRuntime(
        settings, handler, group_id=group_id, publisher=publisher,
        topics=list(topics) if topics else [settings.topics.cdc, settings.topics.commands],
    )
    try:
        await runtime.run(stop)
    finally:
        await publisher.stop()
