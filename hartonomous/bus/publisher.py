"""The event publisher: validates, encodes and sends CloudEvents, waiting for Kafka's ack."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata

from hartonomous.bus.exceptions import PublishError
from hartonomous.bus.kafka_config import producer_kwargs
from hartonomous.config import Settings
from hartonomous.events import Event, KafkaRecord, Mode, SchemaRegistry, encode
from hartonomous.logging import get_logger


@dataclass(frozen=True)
class Outgoing:
    """One event to publish: where, with which key, in which content mode."""

    topic: str
    event: Event
    key: str | bytes | None = None
    mode: Mode = "structured"


class EventPublisher:
    """Publishes events with acks=all. Every method returns only after the broker acknowledged.

    Schema validation on produce is on unless ``settings.validate_events`` is false; an event
    that fails it raises before anything is sent.
    """

    def __init__(self, settings: Settings, *, registry: SchemaRegistry | None = None) -> None:
        self._settings = settings
        self._registry = registry if registry is not None else SchemaRegistry(settings.schemas_dir)
        self._producer: AIOKafkaProducer | None = None
        self._log = get_logger("bus.publisher")

    @property
    def registry(self) -> SchemaRegistry:
        return self._registry

    async def start(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(**producer_kwargs(self._settings))
            await producer.start()
            self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def __aenter__(self) -> EventPublisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def publish(
        self, topic: str, event: Event, *, key: str | bytes | None = None, mode: Mode = "structured"
    ) -> RecordMetadata:
        """Publish one event and wait for its acknowledgement."""
        (meta,) = await self.publish_many([Outgoing(topic, event, key, mode)])
        return meta

    async def publish_many(self, items: Sequence[Outgoing], *, validated: bool = False) -> list[RecordMetadata]:
        """Publish a batch (sent together, acknowledged together) in order.

        ``validated=True`` skips schema validation for events the caller already validated.
        """
        if self._settings.validate_events and not validated:
            for item in items:
                self._registry.validate(item.event)
        return await self.send_records([(i.topic, encode(i.event, key=i.key, mode=i.mode)) for i in items])

    async def send_records(self, records: Sequence[tuple[str, KafkaRecord]]) -> list[RecordMetadata]:
        """Send already-encoded records (the DLQ uses this to keep original bytes intact)."""
        producer = self._require_started()
        try:
            futures = [
                await producer.send(topic, value=rec.value, key=rec.key, headers=rec.headers)
                for topic, rec in records
            ]
            return list(await asyncio.gather(*futures))
        except KafkaError as exc:
            raise PublishError(f"Kafka did not acknowledge: {exc!r}") from exc

    def _require_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise PublishError("publisher not started: call start() (or use 'async with')")
        return self._producer
