"""The bus against the real Kafka broker: both content modes, schema checks, the DLQ, crash safety."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from hartonomous.bus import ConsumerRuntime, EventPublisher, Outgoing, ensure_topics, read_reason
from hartonomous.config import Settings, Topics
from hartonomous.events import SchemaValidationError, new_event, types
from hartonomous.testing import RecordingHandler
from tests.integration.kafka_helpers import read_records, unique

pytestmark = pytest.mark.integration


def _ping(seq: int, **ext: object):
    return new_event(types.PING, {"message": f"hello {seq}", "seq": seq}, source="/tests/bus",
                     extensions={"partitionkey": f"k{seq % 3}", **ext})


@contextlib.asynccontextmanager
async def running(settings: Settings, handler: RecordingHandler, topic: str, group: str) -> AsyncIterator[None]:
    stop = asyncio.Event()
    runtime = ConsumerRuntime(settings, handler, topics=[topic], group_id=group, publisher=EventPublisher(settings))
    task = asyncio.create_task(runtime.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
def bus_settings(stack_settings: Settings) -> Settings:
    """Settings with a private DLQ, so assertions see only this test's dead letters."""
    return stack_settings.replace(topics=Topics(dlq=unique("test.dlq")), consumer_linger_ms=20)


class TestRoundTrip:
    """Events published through the real broker arrive validated, in both content modes."""

    @pytest.mark.parametrize("mode", ["structured", "binary"])
    def test_events_arrive_with_attributes_and_data(self, bus_settings: Settings, mode: str) -> None:
        """Ten events sent in one mode arrive intact, ordered per partition key."""
        topic = unique("test.roundtrip")

        async def scenario() -> list:
            await ensure_topics(bus_settings, [topic])
            sent = [_ping(i) for i in range(10)]
            handler = RecordingHandler()
            async with EventPublisher(bus_settings) as pub:
                await pub.publish_many([Outgoing(topic, e, mode=mode) for e in sent])  # type: ignore[arg-type]
            async with running(bus_settings, handler, topic, unique("g")):
                got = await handler.wait_for(10)
            return [sent, got]

        sent, got = asyncio.run(scenario())
        by_id = {d.event.get_id(): d.event for d in got}
        assert {e.get_id() for e in sent} == set(by_id)
        for event in sent:
            assert event.get_data() == by_id[event.get_id()].get_data()
            assert event.get_attributes() == by_id[event.get_id()].get_attributes()
        for key in {d.key for d in got}:
            seqs = [d.event.get_data()["seq"] for d in got if d.key == key]
            assert sorted(seqs) == seqs

    def test_publisher_refuses_schema_invalid_events(self, bus_settings: Settings) -> None:
        """Validation on produce: an invalid event raises before anything is sent."""
        bad = new_event(types.PING, {"seq": -1}, source="/tests")

        async def scenario() -> None:
            async with EventPublisher(bus_settings) as pub:
                await pub.publish(unique("test.refuse"), bad)

        with pytest.raises(SchemaValidationError, match="message"):
            asyncio.run(scenario())


class TestDeadLetters:
    """Poison messages go to the DLQ with the reason; the next good event is still processed."""

    def test_invalid_and_non_json_messages_are_dead_lettered(self, bus_settings: Settings) -> None:
        """A schema-invalid event and a non-JSON message land in the DLQ; good events flow on."""
        topic = unique("test.poison")
        invalid = new_event(types.PING, {"message": "x", "seq": "not a number"}, source="/tests")

        async def scenario() -> tuple[list, list]:
            await ensure_topics(bus_settings, [topic, bus_settings.topics.dlq])
            raw = AIOKafkaProducer(bootstrap_servers=bus_settings.kafka_bootstrap)
            await raw.start()
            unchecked = bus_settings.replace(validate_events=False)
            try:
                async with EventPublisher(unchecked) as pub:
                    await pub.publish(topic, _ping(1), key="same")
                    await raw.send_and_wait(topic, b"{this is not json", key=b"same")
                    await pub.publish(topic, invalid, key="same")
                    await pub.publish(topic, _ping(2), key="same")
            finally:
                await raw.stop()
            handler = RecordingHandler()
            async with running(bus_settings, handler, topic, unique("g")):
                got = await handler.wait_for(2)
                dead = await read_records(bus_settings, bus_settings.topics.dlq, 2)
            return got, dead

        got, dead = asyncio.run(scenario())
        assert [1, 2] == [d.event.get_data()["seq"] for d in got]
        reasons = sorted((read_reason(r.headers) for r in dead), key=lambda r: int(r["hartonomous.original.offset"]))
        assert ["EventDecodeError", "SchemaValidationError"] == [r["hartonomous.error.type"] for r in reasons]
        assert "not JSON" in reasons[0]["hartonomous.error.message"]
        assert "seq" in reasons[1]["hartonomous.error.message"]
        assert {topic} == {r["hartonomous.original.topic"] for r in reasons}
        assert b"{this is not json" in {r.value for r in dead}

    def test_event_refused_by_the_handler_is_dead_lettered_alone(self, bus_settings: Settings) -> None:
        """A handler failure for one event sends that event, and only it, to the DLQ."""
        topic = unique("test.refused")

        def refuse(d):  # type: ignore[no-untyped-def]
            return ValueError("seq 3 is cursed") if d.event.get_data()["seq"] == 3 else None

        async def scenario() -> tuple[list, list]:
            await ensure_topics(bus_settings, [topic, bus_settings.topics.dlq])
            async with EventPublisher(bus_settings) as pub:
                await pub.publish_many([Outgoing(topic, _ping(i), key="k") for i in range(5)])
            handler = RecordingHandler(refuse=refuse)
            async with running(bus_settings, handler, topic, unique("g")):
                got = await handler.wait_for(4)
                dead = await read_records(bus_settings, bus_settings.topics.dlq, 1)
            return got, dead

        got, dead = asyncio.run(scenario())
        assert [0, 1, 2, 4] == [d.event.get_data()["seq"] for d in got]
        assert 1 == len(dead)
        assert "seq 3 is cursed" == read_reason(dead[0].headers)["hartonomous.error.message"]


class TestCrashSafety:
    """Offsets are committed only after handle(): a consumer killed mid-batch gets the batch again."""

    def test_killed_consumer_batch_is_redelivered(self, bus_settings: Settings, tmp_path: Path) -> None:
        """SIGKILL during handle(), then a new consumer in the same group receives the same events."""
        topic, group = unique("test.crash"), unique("g")
        outfile = tmp_path / "seen.txt"
        sent = [_ping(i) for i in range(6)]

        async def publish() -> None:
            await ensure_topics(bus_settings, [topic, bus_settings.topics.dlq])
            async with EventPublisher(bus_settings) as pub:
                await pub.publish_many([Outgoing(topic, e) for e in sent])

        asyncio.run(publish())
        env = {**os.environ, "HARTONOMOUS_KAFKA_BOOTSTRAP": bus_settings.kafka_bootstrap,
               "HARTONOMOUS_TOPIC_DLQ": bus_settings.topics.dlq}
        proc = subprocess.Popen([sys.executable, "-m", "tests.integration.crashing_consumer", topic, group,
                                 str(outfile)], env=env, cwd=Path(__file__).resolve().parents[2])
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (outfile.exists() and outfile.read_text().strip()):
                assert proc.poll() is None, "crashing consumer exited early"
                time.sleep(0.1)
            first_seen = set(outfile.read_text().split())
            assert first_seen, "the crashing consumer never received a batch"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

        async def resume() -> set[str]:
            handler = RecordingHandler()
            async with running(bus_settings, handler, topic, group):
                got = await handler.wait_for(len(sent), timeout_s=60)
            return {d.event.get_id() for d in got}

        redelivered = asyncio.run(resume())
        assert first_seen <= redelivered
        assert {e.get_id() for e in sent} == redelivered


class HoldingHandler(RecordingHandler):
    """Records everything but declares it still holds the deliveries from seq 2 on."""

    def held_offset(self, topic: str, partition: int) -> int | None:
        held = [d.offset for d in self.deliveries
                if d.partition == partition and d.event.get_data()["seq"] >= 2]
        return min(held) if held else None


class TestHeldDeliveries:
    """The runtime never commits past a delivery the handler still holds in memory."""

    def test_commit_stops_at_the_oldest_held_offset(self, bus_settings: Settings) -> None:
        """After a restart the group resumes at the first held event, not after the batch."""
        topic, group = unique("test.held"), unique("g")

        async def scenario() -> list[int]:
            await ensure_topics(bus_settings, [topic, bus_settings.topics.dlq])
            async with EventPublisher(bus_settings) as pub:
                await pub.publish_many([Outgoing(topic, _ping(i), key="one-partition") for i in range(5)])
            first = HoldingHandler()
            async with running(bus_settings, first, topic, group):
                await first.wait_for(5)
            again = RecordingHandler()
            async with running(bus_settings, again, topic, group):
                got = await again.wait_for(3)
            return [d.event.get_data()["seq"] for d in got]

        assert [2, 3, 4] == asyncio.run(scenario())
