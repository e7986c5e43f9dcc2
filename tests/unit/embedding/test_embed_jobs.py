from __future__ import annotations

from hartonomous.bus import Delivery
from hartonomous.embedding.embed_jobs import (
    BadJobError,
    UnknownEmbedderError,
    created_event,
    parse_jobs,
    plan_batch,
)
from hartonomous.embedding.store import DocumentToEmbed, EmbedderRow
from hartonomous.enrichment import embed_job_event
from hartonomous.events import SchemaRegistry, new_event, types
from hartonomous.config import Settings

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64
CAUSE = new_event(types.PING, {"message": "x"}, source="/tests")
EMBEDDER = "minilm"


def delivery(document_id: object, content_hash: str = H1, embedder: str = EMBEDDER, offset: int = 0) -> Delivery:
    event = new_event(types.JOB_EMBED_REQUESTED,
                      {"document_id": document_id, "content_hash": content_hash, "embedder": embedder},
                      source="/tests", event_id=f"job-{document_id}-{content_hash[0]}-{offset}")
    return Delivery(event, "jobs", 0, offset, None, 0)


def doc(doc_id: int, content_hash: str, embedded_hash: str | None = None) -> DocumentToEmbed:
    return DocumentToEmbed(doc_id, f"text {doc_id}", content_hash, embedded_hash, f"file:///{doc_id}", 0, None)


class TestParseJobs:
    """Jobs for this embedder with integer ids are accepted; the rest are refused by name."""

    def test_refusals(self) -> None:
        """Another embedder and a non-integer id are failures; digit strings are ids."""
        jobs, failures = parse_jobs([delivery(1), delivery("2"), delivery(3, embedder="other"), delivery("x")],
                                    EMBEDDER)
        assert [1, 2] == [j.document_id for j in jobs]
        assert [UnknownEmbedderError, BadJobError] == [type(f.error) for f in failures]


class TestPlanBatch:
    """Each document is encoded once per batch, only when its embedding is not current."""

    def test_decisions(self) -> None:
        """New text is encoded; current is announced not encoded; deleted and superseded are done."""
        batch = [delivery(1), delivery(1, offset=1), delivery(2), delivery(3, H2), delivery(4)]
        jobs, _ = parse_jobs(batch, EMBEDDER)
        documents = {1: doc(1, H1), 2: doc(2, H1, embedded_hash=H1), 3: doc(3, H3)}
        plan = plan_batch(jobs, documents)
        assert [1] == [d.id for d in plan.to_encode]
        assert [2] == plan.current
        errors = {o.natural_key: o.error for o in plan.outcomes({1})}
        assert {f"1:{EMBEDDER}:{H1}": None, f"2:{EMBEDDER}:{H1}": None,
                f"3:{EMBEDDER}:{H2}": f"superseded: the document now holds {H3[:16]}",
                f"4:{EMBEDDER}:{H1}": "document deleted"} == errors
        assert {"done"} == {o.status for o in plan.outcomes({1})}
        assert [(2, "job-2-1-0"), (1, "job-1-1-1")] == [(d.id, j.event.get_id()) for j, d in plan.announcements({1})]

    def test_not_written_is_not_announced(self) -> None:
        """An embedding the store refused (text changed meanwhile) is neither announced nor clean."""
        jobs, _ = parse_jobs([delivery(1)], EMBEDDER)
        plan = plan_batch(jobs, {1: doc(1, H1)})
        assert [] == list(plan.announcements(set()))
        assert ["superseded while encoding"] == [o.error for o in plan.outcomes(set())]


class TestEvents:
    """Job and announcement events validate and carry their cause."""

    def test_job_and_created_events(self) -> None:
        """Deterministic ids from the cause; causation and partition key set; both validate."""
        registry = SchemaRegistry(Settings().schemas_dir)
        job = embed_job_event(CAUSE, document_id=5, content_hash=H1, embedder=EMBEDDER)
        again = embed_job_event(CAUSE, document_id=5, content_hash=H1, embedder=EMBEDDER)
        registry.validate(job)
        assert job.get_id() == again.get_id()
        assert ("documents:5", CAUSE.get_id()) == (job.get_extension("partitionkey"), job.get_extension("causationid"))
        jobs, _ = parse_jobs([Delivery(job, "jobs", 0, 0, None, 0)], EMBEDDER)
        created = created_event(jobs[0], doc(5, H1), EmbedderRow(1, EMBEDDER, 384, 0))
        registry.validate(created)
        assert (5, H1, 384, job.get_id()) == tuple(created.get_data()[k] for k in  # type: ignore[index]
                                                    ("document_id", "content_hash", "dimension", "job_event_id"))
        assert CAUSE.get_id() == created.get_extension("correlationid")
