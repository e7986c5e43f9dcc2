"""Reading topics back in integration tests (tests may use aiokafka directly)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from hartonomous.config import Settings


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


async def read_records(settings: Settings, topic: str, count: int, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Read ``count`` records from the start of ``topic`` (all partitions) or time out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(records) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"read {len(records)} of {count} records from {topic}")
            polled = await consumer.getmany(timeout_ms=200)
            for batch in polled.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
