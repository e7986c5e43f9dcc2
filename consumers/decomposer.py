"""The decomposer: ``job.decompose.requested`` events into model rows, announced as ``model.decomposed``.

Each request names a ``file://`` URI (a model file or a folder holding one) that must lie under
the allowed roots (the ingestion path policy of :mod:`hartonomous.ingest`). The ingest runs in a
worker thread on this consumer's own connection, one transaction per model
(:func:`hartonomous.models.ingest_model`), then ``model.decomposed`` goes to the enriched topic.

- A refused path, a corrupt, unsafe or unsupported file, a name taken by another file, an
  unknown parent: the request is returned as a failure (the runtime puts it in the DLQ with the
  reason); nothing was stored, the transaction having rolled back.
- A lost database connection or a failed publish: ``TransientError``, the batch is retried. A
  model stored before the failure is found ``unchanged`` on retry and announced again (with the
  same event id), so the effect is exactly-once.
- Each outcome is recorded in ``jobs`` (kind ``decompose``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg

from hartonomous.bus import BatchHandler, ConsumerRuntime, Delivery, EventPublisher, Failure, TransientError
from hartonomous.config import Settings
from hartonomous.events import Event
from hartonomous.formats import ModelFormatError
from hartonomous.ingest import IngestError, MalformedRequestError, allowed_roots
from hartonomous.logging import get_logger
from hartonomous.models import IngestOptions, IngestResult, ModelStoreError, ingest_model, resolve_source
from hartonomous.models.events import decomposed_event
from hartonomous.store import connect, migrate, queries

DEFAULT_GROUP = "hartonomous.decomposer"
JOB_KIND = "decompose"
REFUSED = (IngestError, ModelFormatError, ModelStoreError)


def job_key(data: dict[str, Any]) -> str:
    """The ``jobs.natural_key`` of a request: its URI and the requested name."""
    return f"{data.get('uri')}|{data.get('name') or ''}"


class Decomposer:
    """A :class:`~hartonomous.bus.BatchHandler` that decomposes model files into rows."""

    name = "decomposer"

    def __init__(self, settings: Settings, publisher: EventPublisher) -> None:
        self._settings = settings
        self._publisher = publisher
        self._sql = queries(settings)
        self._options = IngestOptions.from_settings(settings)
        self._conn: psycopg.Connection[Any] | None = None
        self._log = get_logger("consumer.decomposer")

    async def setup(self) -> None:
        await asyncio.to_thread(migrate, self._settings)
        await asyncio.to_thread(self._connection)

    async def close(self) -> None:
        if self._conn is not None:
            await asyncio.to_thread(self._conn.close)
            self._conn = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._settings)
            self._conn.execute("SELECT 1")
        return self._conn

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        failures: list[Failure] = []
        for delivery in batch:
            log = self._log.bind(topic=delivery.topic, partition=delivery.partition, offset=delivery.offset,
                                 event_id=delivery.event.get_id())
            try:
                result = await asyncio.to_thread(self._decompose, delivery.event)
            except REFUSED as exc:
                log.warning("decompose_refused", error_type=type(exc).__name__, error=str(exc)[:300])
                await asyncio.to_thread(self._record, delivery.event, "failed", f"{type(exc).__name__}: {exc}")
                failures.append(Failure(delivery, exc))
                continue
            except psycopg.OperationalError as exc:
                self._conn = None
                raise TransientError(f"database unavailable: {exc}") from exc
            try:
                await self._publisher.publish(self._settings.topics.enriched, decomposed_event(result, delivery.event),
                                              key=result.name)
            except Exception as exc:  # noqa: BLE001 - the rows are stored; retrying re-announces them
                raise TransientError(f"model.decomposed for {result.name!r} not published: {exc}") from exc
            await asyncio.to_thread(self._record, delivery.event, "done", None)
            log.info("model_decomposed", model=result.name, model_id=result.model_id, unchanged=result.unchanged,
                     new_chunk_bytes=result.new_chunk_bytes, seconds=round(result.seconds, 3))
        return failures

    def _decompose(self, event: Event) -> IngestResult:
        data = event.get_data()
        if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
            raise MalformedRequestError("decompose request data must be an object with a uri")
        source = resolve_source(data["uri"], allowed_roots(self._settings))
        parent = data.get("parent")
        return ingest_model(
            self._connection(), self._sql, source, name=data.get("name"), options=self._options, parent=parent,
            derivation=data.get("derivation") or ("fine-tune" if parent else None), source_uri=data["uri"],
        )

    def _record(self, event: Event, status: str, error: str | None) -> None:
        data = event.get_data()
        key = job_key(data if isinstance(data, dict) else {})
        try:
            self._connection().execute(self._sql["jobs_finished"], {
                "kind": JOB_KIND, "natural_keys": [key], "statuses": [status], "errors": [error],
                "event_ids": [event.get_id()],
            })
        except psycopg.Error as exc:  # the outcome is in Kafka either way; the jobs row is a convenience
            self._log.warning("job_not_recorded", key=key, error=str(exc)[:300])


def build(settings: Settings, publisher: EventPublisher) -> BatchHandler:
    """The decomposer on the configured store (connected in ``setup``)."""
    return Decomposer(settings, publisher)


async def run(settings: Settings, stop: asyncio.Event, *, group_id: str = DEFAULT_GROUP) -> None:
    """Run the decomposer on ``settings.topics.jobs_decompose`` until ``stop`` is set."""
    publisher = EventPublisher(settings)
    runtime = ConsumerRuntime(settings, build(settings, publisher), topics=[settings.topics.jobs_decompose],
                              group_id=group_id, publisher=publisher)
    await runtime.run(stop)
