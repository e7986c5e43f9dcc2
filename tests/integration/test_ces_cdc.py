"""SQL Server CES events through the real Kafka broker and the shared consumer runtime.

No SQL Server runs here: the events are Microsoft's documented samples (and segments cut from
them), published as structured CloudEvents the way Event Hubs delivers them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from hartonomous.bus import ConsumerRuntime, Delivery, EventPublisher, Failure, ensure_topics, read_reason
from hartonomous.bus.kafka_config import producer_kwargs
from hartonomous.cdc import ChangeReader, Normalized, RowChange
from hartonomous.config import Settings, Topics
from tests.integration.kafka_helpers import read_records, unique
from tests.unit.cdc.helpers import split

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).parents[1] / "unit" / "cdc" / "fixtures"


class ChangeCollector:
    """A consumer that normalises whatever arrives on the CDC topic (CES or ours)."""

    name = "test-ces-reader"

    def __init__(self) -> None:
        self.reader = ChangeReader()
        self.changes: list[RowChange] = []

    async def setup(self) -> None:
        pass

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        failures: list[Failure] = []
        for delivery in batch:
            for outcome in self.reader.feed(delivery.event, raw=delivery):
                if isinstance(outcome, Normalized):
                    self.changes.append(outcome.change)
                else:
                    failures.extend(Failure(raw, outcome.error) for raw in outcome.raws if isinstance(raw, Delivery))
        return failures

    async def close(self) -> None:
        pass


def sample(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return result


class TestCesOverKafka:
    """CES events on a topic are read like ours: normalised, segments reassembled, bad ones dead-lettered."""

    def test_samples_segments_and_a_malformed_event(self, stack_settings: Settings) -> None:
        """Insert whole, update in 3 segments (1-based, out of order, one repeated), delete whole; a bad one to the DLQ."""
        topic = unique("test.ces")
        settings = stack_settings.replace(topics=Topics(cdc=topic, dlq=unique("test.dlq")), consumer_linger_ms=20)
        update = split(sample("update"), 3, base=1)
        bad = {**sample("insert"), "id": "bad-1", "logicalid": "bad-logical", "data": '{"eventsource": 1}'}
        messages = [sample("insert"), update[2], update[0], update[2], update[1], sample("delete"), bad]
        collector = ChangeCollector()

        async def scenario() -> list[Any]:
            await ensure_topics(settings, [topic, settings.topics.dlq])
            producer = AIOKafkaProducer(**producer_kwargs(settings))
            await producer.start()
            try:
                for message in messages:  # Table partition scheme: one key per table keeps order
                    await producer.send_and_wait(topic, json.dumps(message).encode(), key=b"dbo.Employees")
            finally:
                await producer.stop()
            stop = asyncio.Event()
            runtime = ConsumerRuntime(settings, collector, topics=[topic], group_id=unique("g"),
                                      publisher=EventPublisher(settings))
            task = asyncio.create_task(runtime.run(stop))
            try:
                dead = await read_records(settings, settings.topics.dlq, 1)
                for _ in range(100):
                    if len(collector.changes) >= 3:
                        break
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)
            return dead

        dead = asyncio.run(scenario())
        assert [("insert", "Nikolic"), ("update", "Nikolic-Smith"), ("delete", None)] == [
            (c.op, None if c.after is None else c.after["LastName"]) for c in collector.changes]
        assert {"Id": 8} == collector.changes[1].key
        reason = read_reason(dead[0].headers)
        assert ("MalformedCesEventError", "CES data.eventsource must be a JSON string, got int") == (
            reason["hartonomous.error.type"], reason["hartonomous.error.message"])
