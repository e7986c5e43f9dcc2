"""Document ingestion end to end on the real stack: an emitted request becomes stored,
embedded chunks; re-ingesting changes nothing; refused and malformed requests reach the DLQ."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hartonomous.bus import EventPublisher, read_reason
from hartonomous.config import Settings
from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder
from hartonomous.events import new_event, types
from hartonomous.ingest import chunk_files, request_ingest
from hartonomous.ingest.paths import to_file_uri
from tests.integration.pipeline_helpers import (
    documents_of,
    embeddings_of,
    pipeline,
    private_settings,
    topic_events,
    wait_until,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def encoder() -> SentenceTransformerEncoder:
    """The real all-MiniLM-L6-v2, loaded once for every test of the session."""
    return SentenceTransformerEncoder()


def write_corpus(folder: Path, tag: str) -> None:
    """Four formats, every text unique to this run (content hashes are unique store-wide)."""
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text(f"Run {tag}. Tidal forces stretch moons that orbit close to giant planets.\n")
    # paragraphs shorter than half a chunk: every chunk holds the start of one, hence the tag
    paragraphs = "\n\n".join(f"Section {i} of run {tag}: copper conducts electricity, so wires use it."
                               for i in range(6))
    (folder / "guide.md").write_text(f"# Metals guide {tag}\n\n{paragraphs}\n")
    (folder / "page.html").write_text(
        f"<html><head><title>Bakery {tag}</title><script>var secret = 'never stored';</script></head>"
        f"<body><h1>Sourdough</h1><p>Run {tag}: a starter of flour and water ferments for days.</p></body></html>")
    records = [{"title": f"word{i}", "gloss": f"run {tag}: meaning number {i} of a made-up word", "pos": "n"}
               for i in range(3)]
    (folder / "glosses.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def by_cause(events: list[tuple[Any, Any]], cause_id: str) -> list[Any]:
    return [e for _, e in events if e is not None and e.get_extension("causationid") == cause_id]


class TestFolderIngestion:
    """A folder ingested through an emitted event ends as embedded chunks, exactly once."""

    def test_ingest_then_reingest(self, stack_settings: Settings, encoder: SentenceTransformerEncoder,
                                  tmp_path: Path) -> None:
        """Every chunk is stored and embedded like a direct encode; a second request adds nothing."""
        tag = uuid.uuid4().hex
        folder = tmp_path / "corpus"
        write_corpus(folder, tag)
        settings = private_settings(stack_settings, tmp_path, chunk_size=200, chunk_overlap=20)
        expected = chunk_files(sorted(p for p in folder.iterdir()), size=200, overlap=20, category=None,
                               request_id="x")
        prefix = to_file_uri(folder)

        async def scenario() -> tuple[Any, Any, Any, Any]:
            async with pipeline(settings, encoder) as tasks:
                first = await request_ingest(settings, folder)
                await wait_until(lambda: len(embeddings_of(settings, prefix)) == len(expected.rows),
                                 tasks=tasks, what="every chunk embedded")
                before = embeddings_of(settings, prefix)
                second = await request_ingest(settings, folder)
                summary = await _summary_of(settings, second.get_id(), tasks)
                after = embeddings_of(settings, prefix)
            jobs = await topic_events(settings, settings.topics.jobs_embed)
            return first, second, (before, after, summary), jobs

        first, second, (before, after, summary), jobs = asyncio.run(scenario())
        docs = documents_of(settings, prefix)
        assert sorted(r.content for r in expected.rows) == sorted(c for c, _ in docs.values())
        assert not any("never stored" in c for c, _ in docs.values())
        stored = {doc_id: vec for doc_id, (_, _, vec, _) in before.items()}
        direct = encoder.model.encode([docs[i][0] for i in stored], batch_size=64)
        assert all(cosine(v, d) > 0.9999 for v, d in zip(stored.values(), direct))
        assert all(docs[i][1] == h for i, (_, h, _, _) in before.items())
        assert len(expected.rows) == len(by_cause(jobs, first.get_id()))
        # the second request: nothing inserted, nothing requested, nothing re-embedded
        assert (0, 0, len(expected.rows)) == (summary["inserted"], summary["embed_jobs"], summary["existing"])
        assert [] == by_cause(jobs, second.get_id())
        assert {i: r[3] for i, r in before.items()} == {i: r[3] for i, r in after.items()}
        assert len(docs) == len(documents_of(settings, prefix))


async def _summary_of(settings: Settings, request_id: str, tasks: list[asyncio.Task[None]]) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        for _, event in await topic_events(settings, settings.topics.enriched, idle_s=0.5):
            if event is not None and event.get_extension("causationid") == request_id:
                return dict(event.get_data()["result"])
        return None

    for _ in range(120):
        found = await find()
        if found is not None:
            return found
        for task in tasks:
            if task.done():
                task.result()
        await asyncio.sleep(0.5)
    raise TimeoutError(f"no enriched summary for request {request_id}")


class TestRefusals:
    """Requests the enricher refuses land in the DLQ with the reason, and nothing is read."""

    def test_refused_paths_and_malformed_request(self, stack_settings: Settings,
                                                 encoder: SentenceTransformerEncoder, tmp_path: Path) -> None:
        """Outside the roots, an escaping symlink, a remote URL and a schema-invalid request."""
        root = tmp_path / "allowed"
        root.mkdir()
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text(f"secret {uuid.uuid4().hex}")
        (root / "link.txt").symlink_to(outside / "secret.txt")
        settings = private_settings(stack_settings, root)

        async def scenario() -> list[tuple[Any, Any]]:
            async with pipeline(settings, encoder, embedder=False):
                await request_ingest(settings, outside / "secret.txt", check=False)
                await request_ingest(settings, root / "link.txt", check=False)
                await request_ingest(settings, "https://example.com/corpus.txt", check=False)
                async with EventPublisher(settings.replace(validate_events=False)) as pub:
                    bad = new_event(types.INGEST_REQUESTED, {"kind": "document"}, source="/tests/enrich")
                    await pub.publish(settings.topics.commands, bad, key="bad")
                for _ in range(120):
                    dead = await topic_events(settings, settings.topics.dlq, idle_s=0.3)
                    if len(dead) >= 4:
                        return dead
                    await asyncio.sleep(0.5)
            raise TimeoutError("fewer than 4 dead letters")

        dead = asyncio.run(scenario())
        reasons = sorted((read_reason(rec.headers)["hartonomous.error.type"],
                          read_reason(rec.headers)["hartonomous.error.message"]) for rec, _ in dead)
        types_ = [t for t, _ in reasons]
        assert ["OutsideAllowedRootsError", "OutsideAllowedRootsError", "RemoteUriRefusedError",
                "SchemaValidationError"] == types_
        messages = " | ".join(m for _, m in reasons)
        assert "symlink" in messages and "outside the allowed roots" in messages and "uri" in messages
        assert {} == documents_of(settings, to_file_uri(outside))


class TestModelRequest:
    """A model file request becomes one decompose job (the decomposer's input), and is enriched."""

    def test_decompose_job(self, stack_settings: Settings, encoder: SentenceTransformerEncoder,
                           tmp_path: Path) -> None:
        """kind auto on a .safetensors file: a decompose job with the resolved file URI and the name."""
        model = tmp_path / "models" / "tiny.safetensors"
        model.parent.mkdir()
        model.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
        settings = private_settings(stack_settings, tmp_path)

        async def scenario() -> tuple[Any, list[Any], dict[str, Any]]:
            async with pipeline(settings, encoder, embedder=False) as tasks:
                request = await request_ingest(settings, model, name="tiny")
                summary = await _summary_of(settings, request.get_id(), tasks)
            jobs = [e for _, e in await topic_events(settings, settings.topics.jobs_decompose) if e is not None]
            return request, jobs, summary

        request, jobs, summary = asyncio.run(scenario())
        assert [(model.resolve().as_uri(), "tiny", request.get_id())] == [
            (j.get_data()["uri"], j.get_data()["name"], j.get_data()["request_id"]) for j in jobs]
        assert ("model", jobs[0].get_id()) == (summary["kind"], summary["decompose_job"])
