"""The projector SIGKILLed between the Neo4j commit and the Kafka commit, then restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from hartonomous.config import Settings
from hartonomous.graph.testing import LifecycleEvents
from tests.integration.graph_support import (
    graph_settings,
    lifecycle_stream,
    new_prefix,
    placeholders,
    projector_running,
    publish,
    snapshot,
    stored_offsets,
    wait_projected,
)

pytestmark = pytest.mark.integration
__all__ = ["new_prefix"]  # the fixture


def projector_process(settings: Settings, group: str, projector: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HARTONOMOUS_TOPIC_ENRICHED": settings.topics.enriched,
           "HARTONOMOUS_TOPIC_DLQ": settings.topics.dlq, "HARTONOMOUS_CONSUMER_BATCH_SIZE": "2",
           "HARTONOMOUS_NEO4J_BOLT_PORT": str(settings.neo4j_bolt_port)}
    argv = [sys.executable, "-m", "hartonomous.cli.main", "--log-level", "DEBUG", "run", "graph",
            "--group", group, "--projector", projector, *extra]
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                cwd=settings.project_root)


async def committed(settings: Settings, group: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == settings.topics.enriched}


class TestCrash:
    """A crash after the graph committed and before Kafka did leaves the graph as a clean run does."""

    def test_sigkill_between_graph_and_kafka_commits(
        self, stack_settings: Settings, tmp_path: Path, new_prefix: Callable[[str], str]
    ) -> None:
        """The killed batch is replayed on restart and skipped by the offset node: the graph equals
        a clean run of the same stream, node for node and relationship for relationship."""
        clean_p, crash_p = new_prefix("c"), new_prefix("k")
        clean = graph_settings(stack_settings, clean_p)
        crash = graph_settings(stack_settings, crash_p)
        group, projector = f"{crash_p}g", f"{crash_p}graph"
        log = tmp_path / "projector.log"

        async def scenario() -> tuple:
            clean_events, crash_events = LifecycleEvents(clean_p), LifecycleEvents(crash_p)
            last_clean = await publish(clean, lifecycle_stream(clean_events))
            async with projector_running(clean, group=f"{clean_p}g", projector=f"{clean_p}graph"):
                await wait_projected(clean, f"{clean_p}graph", last_clean)
            expected = await snapshot(clean, clean_p, placeholders(clean_events))

            last = await publish(crash, lifecycle_stream(crash_events))
            killed = projector_process(crash, group, projector, log, "--exit-after-commits", "1")
            code = await asyncio.to_thread(killed.wait, 120)
            in_graph, in_kafka = await stored_offsets(crash, projector), await committed(crash, group)

            restarted = projector_process(crash, group, projector, log)
            try:
                await wait_projected(crash, projector, last)
            finally:
                restarted.send_signal(signal.SIGTERM)
                await asyncio.to_thread(restarted.wait, 60)
            return code, in_graph, in_kafka, expected, await snapshot(crash, crash_p, placeholders(crash_events)), restarted.returncode

        code, in_graph, in_kafka, expected, after, clean_exit = asyncio.run(scenario())
        assert -signal.SIGKILL == code, log.read_text()[-3000:]
        # the kill happened after a graph commit that Kafka never saw
        (partition, offset), = in_graph.items()
        assert in_kafka.get(partition, -1) < offset + 1
        assert 0 == clean_exit
        assert expected == after
