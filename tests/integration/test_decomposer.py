"""The decomposer against the real Kafka and PostgreSQL: requests in, model.decomposed out, bad files to the DLQ."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consumers.decomposer import run
from hartonomous.bus import EventPublisher, Outgoing, ensure_topics, read_reason
from hartonomous.config import Settings, Topics
from hartonomous.events import Event, decode, new_event, types
from hartonomous.models import model_by_name
from hartonomous.models import testing as files
from hartonomous.store import connect, queries
from tests.integration.kafka_helpers import read_records, unique
from tests.integration.model_support import cleanup, model_settings, row_counts, unique_name  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture()
def settings(model_settings: Settings, tmp_path: Path) -> Settings:
    """Private topics, and the test's folder as the only allowed root."""
    topics = Topics(jobs_decompose=unique("test.jobs.decompose"), enriched=unique("test.enriched"),
                    dlq=unique("test.dlq"))
    return model_settings.replace(topics=topics, allowed_roots=(tmp_path,), consumer_linger_ms=20)


def _request(uri: str, name: str) -> Event:
    return new_event(types.JOB_DECOMPOSE_REQUESTED, {"uri": uri, "name": name, "request_id": f"req-{name}"},
                     source="/tests/decomposer", extensions={"correlationid": f"corr-{name}"})


@contextlib.asynccontextmanager
async def decomposer(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop, group_id=unique("test.decomposer")))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


async def _send(settings: Settings, events: list[Event]) -> None:
    await ensure_topics(settings, [settings.topics.jobs_decompose, settings.topics.enriched, settings.topics.dlq])
    async with EventPublisher(settings) as publisher:
        await publisher.publish_many([Outgoing(settings.topics.jobs_decompose, e, e.get_data()["name"]) for e in events])


class TestDecomposer:
    """One request, one model, one announcement; a redelivery announces the same event again."""

    def test_request_to_rows_and_announcement(self, settings: Settings, tmp_path: Path,
                                              cleanup: list[str]) -> None:
        """model.decomposed carries counts, dedup and the tensors with their layers and hashes."""
        name = unique_name("decomposed")
        cleanup.append(name)
        request = _request(files.write_tiny_bert(tmp_path / "bert").as_uri(), name)

        async def scenario() -> list:
            await _send(settings, [request, request])
            async with decomposer(settings):
                return await read_records(settings, settings.topics.enriched, 2, timeout_s=60)

        records = asyncio.run(scenario())
        first, second = (decode(r.value, r.headers) for r in records)
        data = first.get_data()
        assert (types.MODEL_DECOMPOSED, name, 39, 2, "safetensors", 64) == (
            first.get_type(), data["name"], data["tensor_count"], data["layer_count"], data["format"], data["vocab_size"])
        query = next(t for t in data["tensors"] if t["name"] == "encoder.layer.1.attention.self.query.weight")
        assert ("encoder.layer.1", 1, "attention", "q", [32, 32]) == (
            query["layer"], query["layer_index"], query["component"], query["role"], query["shape"])
        assert (request.get_id(), "corr-" + name, f"req-{name}") == (
            first.get_attributes()["causationid"], first.get_attributes()["correlationid"], data["request_id"])
        assert (first.get_id(), True, False) == (second.get_id(), second.get_data()["unchanged"], data["unchanged"])
        with connect(settings) as conn:
            stored = model_by_name(conn, queries(settings), name)
            job = conn.execute("SELECT status, last_error FROM jobs WHERE kind = 'decompose' AND natural_key = %s",
                               (f"{request.get_data()['uri']}|{name}",)).fetchone()
        assert stored is not None and data["model_id"] == stored.id
        assert ("done", None) == job

    def test_bad_requests_go_to_the_dlq_with_the_reason(self, settings: Settings, tmp_path: Path) -> None:
        """Malicious, corrupt, out-of-root and remote requests: DLQ with the error, nothing stored."""
        marker = tmp_path / "marker"
        outside = files.write_tiny_bert(tmp_path.parent / f"{tmp_path.name}-outside")
        cases = {
            "UnsafeModelFileError": files.write_marker_pickle(tmp_path / "evil.pt", marker).as_uri(),
            "CorruptModelFileError": files.write_truncated(
                files.write_tiny_bert(tmp_path / "ok") / "model.safetensors", tmp_path / "cut.safetensors").as_uri(),
            "OutsideAllowedRootsError": outside.as_uri(),
            "RemoteUriRefusedError": "https://example.com/model.safetensors",
        }
        cases_overlap = files.write_overlapping_safetensors(tmp_path / "ov.safetensors").as_uri()
        cases_gguf = files.write_gguf_offset_outside(tmp_path / "bad.gguf").as_uri()
        cases_onnx = files.write_onnx_escaping(tmp_path / "onnx").as_uri()
        requests = [_request(uri, unique_name("bad")) for uri in [*cases.values(), cases_overlap, cases_gguf, cases_onnx]]
        before = row_counts(settings)

        async def scenario() -> list:
            await _send(settings, requests)
            async with decomposer(settings):
                return await read_records(settings, settings.topics.dlq, len(requests), timeout_s=60)

        records = asyncio.run(scenario())
        reasons = {decode(r.value, r.headers).get_data()["uri"]: read_reason(r.headers) for r in records}
        for error, uri in cases.items():
            assert error == reasons[uri]["hartonomous.error.type"]
        assert "overlap" in reasons[cases_overlap]["hartonomous.error.message"]
        assert "points outside the file" in reasons[cases_gguf]["hartonomous.error.message"]
        assert "escapes the model folder" in reasons[cases_onnx]["hartonomous.error.message"]
        assert {"decomposer"} == {r["hartonomous.consumer"] for r in reasons.values()}
        assert before == row_counts(settings)
        assert not marker.exists()
