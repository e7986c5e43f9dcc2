"""The consumer runtime: polling, decoding, validation, retries, DLQ, commits, shutdown.

One loop per process. For each polled topic-partition batch:
1. decode and validate every message; the ones that fail go to the DLQ as they were;
2. ``handler.handle(batch)``: a ``TransientError`` retries the whole batch with backoff (bounded);
   any other exception isolates the poison event by handling the batch one event at a time;
3. send the handler's failures to the DLQ and wait for Kafka's ack;
4. commit offset+1 of the last message. Nothing is committed before the sink acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from hartonomous.bus.dead_letter import DeadLetter
from hartonomous.bus.delivery import Delivery, Failure
from hartonomous.bus.exceptions import RetriesExhaustedError, TransientError
from hartonomous.bus.handler import BatchHandler, HoldsDeliveries
from hartonomous.bus.kafka_config import consumer_kwargs
from hartonomous.bus.publisher import EventPublisher
from hartonomous.bus.topics import ensure_topics
from hartonomous.config import Settings
from hartonomous.events import EventError, SchemaRegistry, decode
from hartonomous.logging import get_logger


class ConsumerRuntime:
    """Runs one :class:`BatchHandler` against a consumer group until ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        handler: BatchHandler,
        *,
        topics: Sequence[str],
        group_id: str,
        publisher: EventPublisher,
    ) -> None:
        self._settings = settings
        self._handler = handler
        self._topics = list(topics)
        self._group_id = group_id
        self._publisher = publisher
        self._registry: SchemaRegistry = publisher.registry
        self._consumer: AIOKafkaConsumer | None = None
        self._committed: dict[TopicPartition, int] = {}
        self._log = get_logger("bus.consumer", consumer=handler.name, group=group_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; then commit what was handled and close cleanly."""
        await ensure_topics(self._settings, [*self._topics, self._settings.topics.dlq])
        await self._publisher.start()
        await self._handler.setup()
        consumer = AIOKafkaConsumer(**consumer_kwargs(self._settings, self._group_id))
        consumer.subscribe(self._topics)
        await consumer.start()
        self._consumer = consumer
        self._log.info("consumer_started", topics=self._topics)
        try:
            while not stop.is_set():
                polled = await consumer.getmany(
                    timeout_ms=max(self._settings.consumer_linger_ms, 10),
                    max_records=self._settings.consumer_batch_size,
                )
                for tp, records in polled.items():
                    if records:
                        await self._process(consumer, tp, records)
        finally:
            self._consumer = None
            await consumer.stop()
            await self._handler.close()
            await self._publisher.stop()
            self._log.info("consumer_stopped")

    async def _process(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord]
    ) -> None:
        log = self._log.bind(topic=tp.topic, partition=tp.partition)
        batch: list[Delivery] = []
        dead: list[DeadLetter] = []
        for rec in records:
            try:
                event = decode(rec.value, rec.headers)
                if self._settings.validate_events:
                    self._registry.validate(event)
            except EventError as exc:
                dead.append(self._dead_letter_of(rec, exc))
                continue
            batch.append(
                Delivery(event, rec.topic, rec.partition, rec.offset, rec.key, rec.timestamp,
                         rec.value, tuple(rec.headers))
            )
        failures = await self._handle_with_retries(batch) if batch else []
        dead.extend(self._dead_letter_of_delivery(f) for f in failures)
        if dead:
            await self._publisher.send_records([(self._settings.topics.dlq, d.to_record()) for d in dead])
            for d in dead:
                log.warning("event_dead_lettered", offset=d.offset, error_type=type(d.error).__name__,
                            error=str(d.error)[:300])
        next_offset = self._commit_point(tp, records[-1].offset + 1)
        if next_offset > self._committed.get(tp, -1):
            await consumer.commit({tp: next_offset})
            self._committed[tp] = next_offset
        log.debug("batch_committed", size=len(records), dead=len(dead), next_offset=next_offset)

    def _commit_point(self, tp: TopicPartition, after_batch: int) -> int:
        """offset+1 of the batch, held back to the oldest delivery the handler still holds."""
        if isinstance(self._handler, HoldsDeliveries):
            held = self._handler.held_offset(tp.topic, tp.partition)
            if held is not None:
                return min(after_batch, held)
        return after_batch

    async def _handle_with_retries(self, batch: Sequence[Delivery]) -> list[Failure]:
        attempt = 0
        while True:
            try:
                return list(await self._handler.handle(batch))
            except TransientError as exc:
                attempt += 1
                if attempt > self._settings.consumer_max_retries:
                    raise RetriesExhaustedError(
                        f"{self._handler.name}: transient failure persisted after "
                        f"{attempt - 1} retries: {exc}"
                    ) from exc
                delay = exc.retry_after_s or (
                    self._settings.consumer_retry_backoff_ms / 1000 * 2 ** (attempt - 1)
                )
                self._log.warning("batch_retry", attempt=attempt, delay_s=round(delay, 3), error=str(exc))
                await asyncio.sleep(delay)
            except Exception as exc:  # noqa: BLE001 - isolate the poison event, keep the rest
                if len(batch) == 1:
                    return [Failure(batch[0], exc)]
                self._log.warning("batch_isolating", size=len(batch), error=repr(exc)[:300])
                failures: list[Failure] = []
                for single in batch:
                    failures.extend(await self._handle_with_retries([single]))
                return failures

    def _dead_letter_of(self, rec: ConsumerRecord, error: BaseException) -> DeadLetter:
        return DeadLetter(rec.topic, rec.partition, rec.offset, rec.key, rec.value,
                          tuple(rec.headers), error, self._handler.name)

    def _dead_letter_of_delivery(self, failure: Failure) -> DeadLetter:
        d = failure.delivery
        return DeadLetter(d.topic, d.partition, d.offset, d.key, d.value, d.headers,
                          failure.error, self._handler.name)
