"""The embedder under failure on the real stack: killed mid-run (SIGKILL, a real process) and
restarted, it leaves every document embedded exactly once; processes in one group share the work."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from consumers import embedder as embedder_service
from consumers.embedder import Embedder
from hartonomous.bus import ConsumerRuntime, EventPublisher, Outgoing, ensure_topics
from hartonomous.config import Settings
from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder
from hartonomous.enrichment import embed_job_event
from hartonomous.events import new_event, types
from hartonomous.store import migrate
from tests.integration.kafka_helpers import unique
from tests.integration.pipeline_helpers import connect, private_settings, topic_events

pytestmark = pytest.mark.integration
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def insert_documents(settings: Settings, tag: str, n: int) -> dict[int, tuple[str, str]]:
    """``n`` documents with unique texts, inserted directly; id -> (content, content hash)."""
    migrate(settings)
    texts = [f"Item {i} of run {tag}: a short sentence about {('rain', 'stone', 'music', 'trade')[i % 4]}."
             for i in range(n)]
    with connect(settings) as conn:
        rows = conn.execute(
            "INSERT INTO documents (source_uri, content) SELECT %s, t FROM unnest(%s::text[]) AS t "
            "RETURNING id, content, content_hash", (f"test://{tag}", texts)).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def publish_jobs(settings: Settings, docs: dict[int, tuple[str, str]]) -> None:
    await ensure_topics(settings)
    cause = new_event(types.PING, {"message": "test jobs"}, source="/tests/embedder")
    jobs = [embed_job_event(cause, document_id=i, content_hash=h, embedder=settings.embedder_name)
            for i, (_, h) in docs.items()]
    async with EventPublisher(settings) as pub:
        await pub.publish_many([Outgoing(settings.topics.jobs_embed, j, j.get_extension("partitionkey")) for j in jobs])


def embedded(settings: Settings, ids: list[int]) -> dict[int, tuple[str, np.ndarray]]:
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT x.document_id, x.content_hash, x.embedding FROM embeddings x JOIN embedders e "
            "ON e.id = x.embedder_id WHERE e.name = %s AND x.document_id = ANY(%s)",
            (settings.embedder_name, ids)).fetchall()
    return {r[0]: (r[1], r[2].to_numpy()) for r in rows}


def start_embedder(settings: Settings, group: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HARTONOMOUS_PG_URL": settings.pg_url,
        "HARTONOMOUS_STATE_DIR": str(settings.state_path),
        "HARTONOMOUS_TOPIC_JOBS_EMBED": settings.topics.jobs_embed,
        "HARTONOMOUS_TOPIC_ENRICHED": settings.topics.enriched,
        "HARTONOMOUS_TOPIC_DLQ": settings.topics.dlq,
        "HARTONOMOUS_CONSUMER_BATCH_SIZE": "8",
    }
    cmd = [sys.executable, "-m", "hartonomous.cli.main", "--log-level", "INFO", "run", "embedder",
           "--group", group, *extra]
    return subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_for(check: Any, timeout_s: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(0.05)
    raise TimeoutError(what)


async def _run_until_done(settings: Settings, group: str, encoder: SentenceTransformerEncoder,
                          ids: list[int]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(embedder_service.run(settings, stop, group_id=group, encoder=encoder))
    try:
        deadline = time.monotonic() + 180
        while len(await asyncio.to_thread(embedded, settings, ids)) < len(ids):
            assert time.monotonic() < deadline and not task.done(), "not every document embedded"
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


class TestEmbedderKilled:
    """SIGKILL between the store commit and the Kafka commit, and at a random point mid-run."""

    def test_no_duplicate_no_missing(self, stack_settings: Settings, encoder: SentenceTransformerEncoder,
                                     tmp_path: Path) -> None:
        """After two kills and a restart, each document has one current embedding and a done job."""
        tag = uuid.uuid4().hex
        settings = private_settings(stack_settings, tmp_path)
        docs = insert_documents(settings, tag, 200)
        ids = sorted(docs)
        asyncio.run(publish_jobs(settings, docs))
        group, log = unique("g.embedder.crash"), tmp_path / "embedder.log"

        hooked = start_embedder(settings, group, log, "--crash-after-batches", "3")
        assert -signal.SIGKILL == hooked.wait(timeout=180)
        after_hook = len(embedded(settings, ids))
        assert 0 < after_hook < len(ids)

        killed = start_embedder(settings, group, log)
        wait_for(lambda: len(embedded(settings, ids)) > after_hook, 180, "progress after restart", killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        after_kill = len(embedded(settings, ids))

        asyncio.run(_run_until_done(settings, group, encoder, ids))  # the last run in-process
        rows = embedded(settings, ids)
        assert len(ids) == len(rows)
        assert {i: docs[i][1] for i in ids} == {i: rows[i][0] for i in ids}
        sample = ids[::50]
        direct = encoder.model.encode([docs[i][0] for i in sample])
        assert all(float(rows[i][1] @ d / np.linalg.norm(d)) > 0.9999 for i, d in zip(sample, direct))
        with connect(settings) as conn:
            states = conn.execute(
                "SELECT status, count(*) FROM jobs WHERE kind = 'embed' AND natural_key = ANY(%s) GROUP BY status",
                ([f"{i}:{settings.embedder_name}:{docs[i][1]}" for i in ids],)).fetchall()
        assert [("done", len(ids))] == states
        announced = {e.get_data()["document_id"] for _, e in asyncio.run(topic_events(settings, settings.topics.enriched))
                     if e is not None}
        assert set(ids) == announced
        assert after_kill <= len(ids)


class TestSharedGroup:
    """Two embedders in one consumer group split the partitions and together embed everything."""

    def test_work_is_shared(self, stack_settings: Settings, encoder: SentenceTransformerEncoder,
                            tmp_path: Path) -> None:
        """Both handlers embed some of the jobs; every document ends embedded once."""
        tag = uuid.uuid4().hex
        settings = private_settings(stack_settings, tmp_path, consumer_batch_size=8)
        docs = insert_documents(settings, tag, 90)
        group = unique("g.embedder.shared")

        async def scenario() -> list[int]:
            await ensure_topics(settings)
            stop = asyncio.Event()
            publishers = [EventPublisher(settings) for _ in range(2)]
            handlers = [Embedder(settings, p, encoder=encoder) for p in publishers]
            runtimes = [ConsumerRuntime(settings, h, topics=[settings.topics.jobs_embed], group_id=group,
                                        publisher=p) for h, p in zip(handlers, publishers)]
            tasks = [asyncio.create_task(r.run(stop)) for r in runtimes]
            try:
                await asyncio.sleep(6)  # both members join before the work arrives
                await publish_jobs(settings, docs)
                deadline = time.monotonic() + 120
                while len(await asyncio.to_thread(embedded, settings, sorted(docs))) < len(docs):
                    assert time.monotonic() < deadline, "not all embedded"
                    await asyncio.sleep(0.2)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks), 60)
            return [h.jobs_handled for h in handlers]

        handled = asyncio.run(scenario())
        assert all(n > 0 for n in handled), handled
        assert len(docs) == sum(handled)
        assert len(docs) == len(embedded(settings, sorted(docs)))
