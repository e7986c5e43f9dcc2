"""The producer runtime: read a batch from a source, publish it, then confirm the position.

A source position (an LSN, say) is confirmed only after Kafka acknowledged every event up to it,
so a crash between the two replays events (at-least-once) and never skips one. An event that
fails its schema goes to the DLQ, already encoded, instead of stopping the source.
"""

from __future__ import annotations

import asyncio

from hartonomous.bus.dead_letter import DeadLetter
from hartonomous.bus.handler import ChangeSource
from hartonomous.bus.publisher import EventPublisher, Outgoing
from hartonomous.bus.topics import ensure_topics
from hartonomous.config import Settings
from hartonomous.events import EventError, encode
from hartonomous.logging import get_logger


class ProducerRuntime:
    """Drives one :class:`ChangeSource` until ``stop`` is set."""

    def __init__(
        self, settings: Settings, source: ChangeSource, *, publisher: EventPublisher, idle_sleep_s: float = 0.05
    ) -> None:
        self._settings = settings
        self._source = source
        self._publisher = publisher
        self._idle_sleep_s = idle_sleep_s
        self._log = get_logger("bus.producer", source=source.name)

    async def run(self, stop: asyncio.Event) -> None:
        await ensure_topics(self._settings)
        await self._publisher.start()
        await self._source.setup()
        self._log.info("producer_started")
        try:
            while not stop.is_set():
                if not await self.step():
                    try:
                        await asyncio.wait_for(stop.wait(), self._idle_sleep_s)
                    except asyncio.TimeoutError:
                        pass
        finally:
            await self._source.close()
            self._log.info("producer_stopped")

    async def step(self) -> int:
        """One read-publish-confirm cycle; returns how many records it moved."""
        records = await self._source.read_batch(self._settings.consumer_batch_size)
        if not records:
            return 0
        good: list[Outgoing] = []
        dead: list[DeadLetter] = []
        registry = self._publisher.registry
        for rec in records:
            try:
                if self._settings.validate_events:
                    registry.validate(rec.event)
                good.append(Outgoing(rec.topic, rec.event, rec.key))
            except EventError as exc:
                raw = encode(rec.event, key=rec.key)
                dead.append(DeadLetter(rec.topic, -1, -1, raw.key, raw.value, raw.headers, exc, self._source.name))
        if good:
            await self._publisher.publish_many(good, validated=True)
        if dead:
            await self._publisher.send_records([(self._settings.topics.dlq, d.to_record()) for d in dead])
            self._log.warning("source_events_dead_lettered", count=len(dead))
        await self._source.confirm(records[-1].position)
        return len(records)
