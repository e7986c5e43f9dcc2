"""Events/s through the real broker: our publisher and consumer runtime vs raw aiokafka.

For 1 KB CloudEvents, with schema validation on and off, this prints:
- produce: EventPublisher.publish_many (encode + validate + acks=all) vs raw AIOKafkaProducer
  sending the same encoded bytes with the same settings;
- consume: ConsumerRuntime (decode + validate + handle + commit per batch) vs a raw
  AIOKafkaConsumer.getmany loop over the same records.

Run with the stack up: ``python bench/bus_throughput.py [--events N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hartonomous.bus import ConsumerRuntime, Delivery, EventPublisher, Failure, Outgoing, ensure_topics
from hartonomous.bus.kafka_config import consumer_kwargs, producer_kwargs
from hartonomous.config import Settings
from hartonomous.events import encode, new_event, types

CHUNK = 1000


def make_events(n: int) -> list:
    filler = "x" * 820  # brings the structured JSON to ~1 KB
    return [new_event(types.PING, {"message": filler, "seq": i}, source="/bench",
                      extensions={"partitionkey": f"k{i % 64}"}) for i in range(n)]


async def ours_produce(settings: Settings, topic: str, events: list) -> float:
    async with EventPublisher(settings) as pub:
        start = time.perf_counter()
        for i in range(0, len(events), CHUNK):
            await pub.publish_many([Outgoing(topic, e) for e in events[i:i + CHUNK]])
        return len(events) / (time.perf_counter() - start)


async def raw_produce(settings: Settings, topic: str, events: list) -> float:
    records = [encode(e) for e in events]
    producer = AIOKafkaProducer(**producer_kwargs(settings))
    await producer.start()
    try:
        start = time.perf_counter()
        for i in range(0, len(records), CHUNK):
            futures = [await producer.send(topic, value=r.value, key=r.key, headers=r.headers)
                       for r in records[i:i + CHUNK]]
            await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - start)
    finally:
        await producer.stop()


class Counter:
    name = "bench-counter"

    def __init__(self, target: int) -> None:
        self.count = 0
        self.target = target
        self.done = asyncio.Event()

    async def setup(self) -> None:
        return None

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        self.count += len(batch)
        if self.count >= self.target:
            self.done.set()
        return []

    async def close(self) -> None:
        return None


async def ours_consume(settings: Settings, topic: str, n: int) -> float:
    counter = Counter(n)
    stop = asyncio.Event()
    runtime = ConsumerRuntime(settings, counter, topics=[topic], group_id=f"bench-{uuid.uuid4().hex[:8]}",
                              publisher=EventPublisher(settings))
    task = asyncio.create_task(runtime.run(stop))
    while counter.count == 0:  # time from the first delivery: excludes group join
        await asyncio.sleep(0.001)
    start, first = time.perf_counter(), counter.count
    await counter.done.wait()
    rate = (counter.count - first) / (time.perf_counter() - start)
    stop.set()
    await task
    return rate


async def raw_consume(settings: Settings, topic: str, n: int) -> float:
    consumer = AIOKafkaConsumer(topic, **consumer_kwargs(settings, f"bench-raw-{uuid.uuid4().hex[:8]}"))
    await consumer.start()
    try:
        count, start, first = 0, 0.0, 0
        while count < n:
            polled = await consumer.getmany(timeout_ms=100, max_records=settings.consumer_batch_size)
            for tp, recs in polled.items():
                if recs and start == 0.0:
                    start, first = time.perf_counter(), len(recs)
                count += len(recs)
                if recs:
                    await consumer.commit({tp: recs[-1].offset + 1})
        return (count - first) / (time.perf_counter() - start)
    finally:
        await consumer.stop()


async def main(n: int) -> None:
    base = Settings.from_env()
    size = len(encode(make_events(1)[0]).value)
    print(f"bus throughput: {n} events of {size} bytes, acks=all, idempotent producer, 3 partitions")
    print(f"{'measure':<34}{'ours ev/s':>12}{'raw ev/s':>12}{'ratio':>8}")
    for validate in (True, False):
        settings = base.replace(validate_events=validate)
        events = make_events(n)
        t_ours, t_raw = f"bench.bus.{uuid.uuid4().hex[:8]}", f"bench.bus.raw.{uuid.uuid4().hex[:8]}"
        await ensure_topics(settings, [t_ours, t_raw, settings.topics.dlq])
        raw_p = await raw_produce(settings, t_raw, events)
        ours_p = await ours_produce(settings, t_ours, events)
        raw_c = await raw_consume(settings, t_raw, n)
        ours_c = await ours_consume(settings, t_ours, n)
        label = "on" if validate else "off"
        print(f"{'produce (validation ' + label + ')':<34}{ours_p:>12,.0f}{raw_p:>12,.0f}{ours_p / raw_p:>8.2f}")
        print(f"{'consume (validation ' + label + ')':<34}{ours_c:>12,.0f}{raw_c:>12,.0f}{ours_c / raw_c:>8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().events))
