"""Row changes through the enricher on the real stack (CDC-shaped events built from real rows
and published to a test-unique topic): only new text is embedded, and exactly once."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hartonomous.bus import EventPublisher, Outgoing
from hartonomous.cdc import RowChange, SourceInfo
from hartonomous.config import Settings
from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder
from hartonomous.events import Event
from hartonomous.ingest import request_ingest
from hartonomous.ingest.paths import to_file_uri
from tests.integration.pipeline_helpers import (
    connect,
    embeddings_of,
    pipeline,
    private_database,
    private_settings,
    topic_events,
    wait_until,
)

pytestmark = pytest.mark.integration
COLUMNS = "id, source_uri, title, content, content_hash, category, chunk_index"


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def row(settings: Settings, doc_id: int) -> dict[str, Any]:
    with connect(settings) as conn:
        values = conn.execute(f"SELECT {COLUMNS} FROM documents WHERE id = %s", (doc_id,)).fetchone()
    assert values is not None
    return dict(zip([c.strip() for c in COLUMNS.split(",")], values))


def change_event(op: str, table: str, key: dict[str, Any], before: dict[str, Any] | None,
                 after: dict[str, Any] | None, seq: int) -> Event:
    source = SourceInfo("postgres", "hartonomous", "public", table, commit_lsn=f"0/{seq:X}", sequence=seq)
    return RowChange(op, source, key, before, after).to_event(source_uri="/tests/cdc")  # type: ignore[arg-type]


class TestChangeEvents:
    """An update of other columns is enriched without an embed job; a text update re-embeds that row."""

    def test_updates(self, stack_settings: Settings, encoder: SentenceTransformerEncoder, tmp_path: Path) -> None:
        """Category-only updates (with and without a before image) request nothing; a text update
        re-embeds exactly its row; the pipeline's own tables are ignored; other tables pass through."""
        tag = uuid.uuid4().hex
        folder = tmp_path / "docs"
        folder.mkdir()
        for i in range(3):
            (folder / f"doc{i}.txt").write_text(f"Document {i} of run {tag} is about rivers and their deltas.")
        settings = private_settings(stack_settings, tmp_path)
        prefix = to_file_uri(folder)
        new_text = f"Run {tag}: volcanoes erupt when magma rises through the crust."

        async def scenario() -> tuple[dict[int, Any], dict[int, Any], list[Event], list[Event], list[int]]:
            async with pipeline(settings, encoder) as tasks:
                await request_ingest(settings, folder)
                first = await wait_until(lambda: (e := embeddings_of(settings, prefix)) and len(e) == 3 and e,
                                         tasks=tasks, what="3 embeddings")
                ids = sorted(first)
                a, b = ids[0], ids[1]
                before_a, before_b = row(settings, a), row(settings, b)
                with connect(settings) as conn:
                    conn.execute("UPDATE documents SET category = %s WHERE id = %s", (f"cat-{tag}", a))
                    conn.execute("UPDATE documents SET content = %s WHERE id = %s", (new_text, b))
                after_a, after_b = row(settings, a), row(settings, b)
                events = [
                    change_event("update", "documents", {"id": a}, before_a, after_a, 1),
                    change_event("update", "documents", {"id": a}, None, after_a, 2),
                    change_event("update", "documents", {"id": b}, before_b, after_b, 3),
                    change_event("insert", "embeddings", {"document_id": a, "embedder_id": 1}, None,
                                 {"document_id": a, "embedder_id": 1, "content_hash": after_a["content_hash"]}, 4),
                    change_event("insert", "models", {"id": 7}, None, {"id": 7, "name": f"m-{tag}"}, 5),
                ]
                async with EventPublisher(settings) as pub:
                    await pub.publish_many([Outgoing(settings.topics.cdc, e, e.get_extension("partitionkey"))
                                            for e in events])
                await wait_until(lambda: embeddings_of(settings, prefix)[b][1] == after_b["content_hash"],
                                 tasks=tasks, what="the updated text embedded")
                enriched = await _enriched_for(settings, [e.get_id() for e in events], 4, tasks)
                last = embeddings_of(settings, prefix)
            jobs = [e for _, e in await topic_events(settings, settings.topics.jobs_embed) if e is not None]
            return first, last, enriched, jobs, [a, b, ids[2]]

        first, last, enriched, jobs, (a, b, c) = asyncio.run(scenario())
        by_seq = {e.get_data()["change"]["source"]["sequence"]: e.get_data() for e in enriched}
        assert [1, 2, 3, 5] == sorted(by_seq)  # the embeddings change (seq 4) is ignored
        assert (False, False) == (by_seq[1]["text_changed"], by_seq[1]["embed_requested"])
        assert (None, False) == (by_seq[2]["text_changed"], by_seq[2]["embed_requested"])
        assert (f"cat-{tag}", 1.0) == (by_seq[1]["category"], by_seq[1]["category_confidence"])
        assert (True, True) == (by_seq[3]["text_changed"], by_seq[3]["embed_requested"])
        assert ("model", "insert", None) == (by_seq[5]["entity"], by_seq[5]["operation"], by_seq[5]["content_hash"])
        changed_jobs = [j.get_data()["document_id"] for j in jobs if j.get_extension("causationid") in
                        {e.get_data()["source_event_id"] for e in enriched}]
        assert [b] == changed_jobs
        assert {a: first[a][3], c: first[c][3]} == {a: last[a][3], c: last[c][3]}  # untouched rows
        assert first[b][3] != last[b][3]
        direct = encoder.model.encode([new_text])[0]
        assert float(np.dot(last[b][2], direct) / np.linalg.norm(direct)) > 0.9999


async def _enriched_for(settings: Settings, cause_ids: list[str], count: int,
                        tasks: list[asyncio.Task[None]]) -> list[Event]:
    async def found() -> list[Event]:
        return [e for _, e in await topic_events(settings, settings.topics.enriched, idle_s=0.5)
                if e is not None and e.get_extension("causationid") in cause_ids]

    for _ in range(120):
        events = await found()
        if len(events) >= count:
            return events
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{len(await found())} of {count} enriched events")


class TestRealChangeCapture:
    """The same rules through the real PostgreSQL CDC producer (a private database and slot)."""

    def test_cdc_path(self, stack_settings: Settings, encoder: SentenceTransformerEncoder, tmp_path: Path) -> None:
        """A user's INSERT is embedded; a category UPDATE is enriched with no job; a text UPDATE re-embeds."""
        from producers.postgres_cdc import serve as cdc_serve

        with private_database(private_settings(stack_settings, tmp_path)) as settings:

            async def scenario() -> tuple[list[Event], list[Event], int, dict[str, Any]]:
                stop = asyncio.Event()
                cdc = asyncio.create_task(cdc_serve(settings, stop))
                try:
                    async with pipeline(settings, encoder) as tasks:
                        tasks = [*tasks, cdc]
                        with connect(settings) as conn:
                            doc = conn.execute("INSERT INTO documents (source_uri, content) VALUES "
                                               "('test://cdc', 'Glaciers carve valleys as they move.') "
                                               "RETURNING id").fetchone()[0]  # type: ignore[index]
                        first = await wait_until(lambda: embeddings_of(settings, "test://cdc").get(doc),
                                                 tasks=tasks, what="the inserted row embedded")
                        with connect(settings) as conn:
                            conn.execute("UPDATE documents SET category = 'geology' WHERE id = %s", (doc,))
                        await _wait_enriched(settings, 2, tasks)
                        with connect(settings) as conn:
                            conn.execute("UPDATE documents SET content = 'Deserts get little rain.' WHERE id = %s",
                                         (doc,))
                        await wait_until(lambda: embeddings_of(settings, "test://cdc")[doc][3] != first[3],
                                         tasks=tasks, what="the new text embedded")
                        enriched = await _wait_enriched(settings, 3, tasks)
                finally:
                    stop.set()
                    await asyncio.wait_for(cdc, 60)
                jobs = [e for _, e in await topic_events(settings, settings.topics.jobs_embed) if e is not None]
                return enriched, jobs, doc, embeddings_of(settings, "test://cdc")

            enriched, jobs, doc, final = asyncio.run(scenario())
        ops = [(e.get_data()["operation"], e.get_data()["text_changed"], e.get_data()["embed_requested"],
                e.get_data()["category"]) for e in enriched]
        assert ops[0][0] in {"insert", "snapshot"}  # the row may land in the producer's first snapshot
        assert (True, True) == ops[0][1:3]
        assert [("update", False, False, "geology"), ("update", True, True, "geology")] == ops[1:]
        assert 2 == len(jobs) and {doc} == {j.get_data()["document_id"] for j in jobs}
        direct = encoder.model.encode(["Deserts get little rain."])[0]
        assert float(np.dot(final[doc][2], direct) / np.linalg.norm(direct)) > 0.9999


async def _wait_enriched(settings: Settings, count: int, tasks: list[asyncio.Task[None]]) -> list[Event]:
    for _ in range(240):
        for task in tasks:
            if task.done():
                task.result()
        events = [e for _, e in await topic_events(settings, settings.topics.enriched, idle_s=0.3)
                  if e is not None and e.get_type() == "com.hartonomous.change.enriched.v1"]
        if len(events) >= count:
            return sorted(events, key=lambda e: str(e.get_data()["change"]["source"]["commit_lsn"]))
        await asyncio.sleep(0.25)
    raise TimeoutError(f"fewer than {count} enriched events")
