"""The embedder's per-batch logic, free of I/O: parse jobs, decide, announce.

For the jobs of one batch and the documents they reference (as loaded from the store):
- a document that no longer exists: the job is done, nothing to embed (``document deleted``);
- a document holding other text than the job names: done, ``superseded`` (the job for the new
  text follows on the same partition, or was already handled);
- a document whose embedding is already computed from this text: done, and announced again
  (a redelivery after a crash between the store commit and the announcement);
- otherwise the document is encoded, once per batch however many jobs name it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hartonomous.bus import Delivery, Failure
from hartonomous.embedding.exceptions import EmbeddingError
from hartonomous.embedding.store import DocumentToEmbed, EmbedderRow, JobOutcome, embed_job_key
from hartonomous.enrichment.events import derived_id
from hartonomous.events import Event, new_event, types

EMBEDDER_SOURCE = "/hartonomous/embedder"


class UnknownEmbedderError(EmbeddingError):
    """A job names an embedder this process does not run."""


class BadJobError(EmbeddingError):
    """A job whose document id is not an integer."""


@dataclass(frozen=True)
class EmbedJob:
    """One embed job event, parsed."""

    document_id: int
    content_hash: str
    event: Event

    @property
    def natural_key(self) -> str:
        data = self.event.get_data()
        embedder = data["embedder"] if isinstance(data, dict) else ""
        return embed_job_key(self.document_id, embedder, self.content_hash)


def parse_jobs(batch: Sequence[Delivery], embedder: str) -> tuple[list[EmbedJob], list[Failure]]:
    """The jobs of a batch for ``embedder``; others are refused (they go to the DLQ)."""
    jobs: list[EmbedJob] = []
    failures: list[Failure] = []
    for delivery in batch:
        data: Any = delivery.event.get_data()
        if data.get("embedder") != embedder:
            failures.append(Failure(delivery, UnknownEmbedderError(
                f"job for embedder {data.get('embedder')!r}; this process runs {embedder!r}")))
            continue
        raw_id = data.get("document_id")
        if isinstance(raw_id, bool) or not str(raw_id).isdigit():
            failures.append(Failure(delivery, BadJobError(f"document_id {raw_id!r} is not an integer id")))
            continue
        jobs.append(EmbedJob(int(raw_id), str(data["content_hash"]), delivery.event))
    return jobs, failures


@dataclass
class JobPlan:
    """What to do with a batch of jobs (see the module docstring)."""

    jobs: list[EmbedJob]
    documents: Mapping[int, DocumentToEmbed]
    to_encode: list[DocumentToEmbed] = field(default_factory=list)
    current: list[int] = field(default_factory=list)

    def outcomes(self, written: set[int]) -> list[JobOutcome]:
        """The outcome of every job, once the embeddings in ``written`` were stored."""
        encoded = {d.id for d in self.to_encode}
        out: dict[str, JobOutcome] = {}
        for job in self.jobs:
            doc = self.documents.get(job.document_id)
            if doc is None:
                error: str | None = "document deleted"
            elif doc.content_hash != job.content_hash:
                error = f"superseded: the document now holds {doc.content_hash[:16]}"
            elif doc.id in encoded and doc.id not in written:
                error = "superseded while encoding"
            else:
                error = None
            out[job.natural_key] = JobOutcome(job.natural_key, "done", job.event.get_id(), error)
        return list(out.values())

    def announcements(self, written: set[int]) -> Iterator[tuple[EmbedJob, DocumentToEmbed]]:
        """One (job, document) per embedding that is current now: written or already there."""
        announced: set[int] = set()
        for job in reversed(self.jobs):  # the last job of a document carries the newest cause
            doc = self.documents.get(job.document_id)
            if doc is None or doc.id in announced or doc.content_hash != job.content_hash:
                continue
            if doc.id in written or doc.id in self.current:
                announced.add(doc.id)
                yield job, doc


def plan_batch(jobs: Sequence[EmbedJob], documents: Mapping[int, DocumentToEmbed]) -> JobPlan:
    """Decide, per document, whether to encode it (see the module docstring)."""
    plan = JobPlan(list(jobs), documents)
    seen: set[int] = set()
    for job in jobs:
        doc = documents.get(job.document_id)
        if doc is None or doc.id in seen or doc.content_hash != job.content_hash:
            continue
        seen.add(doc.id)
        if doc.embedded_hash == doc.content_hash:
            plan.current.append(doc.id)
        else:
            plan.to_encode.append(doc)
    return plan


def created_event(
    job: EmbedJob, doc: DocumentToEmbed, embedder: EmbedderRow, *, projection_version: int | None = None
) -> Event:
    """``com.hartonomous.embedding.created.v1`` for one stored embedding (``projection_version``:
    the version its 3-D projection was computed with, when it was stored with one)."""
    key = f"documents:{doc.id}"
    cause = job.event
    return new_event(
        types.EMBEDDING_CREATED,
        {
            "document_id": doc.id,
            "embedder": embedder.name,
            "embedder_id": embedder.id,
            "content_hash": doc.content_hash,
            "dimension": embedder.dimension,
            "embedding_id": f"{embedder.name}|{doc.id}",
            "source_uri": doc.source_uri,
            "chunk_index": doc.chunk_index,
            "category": doc.category,
            "job_event_id": cause.get_id(),
            **({"projection_version": projection_version} if projection_version else {}),
        },
        source=EMBEDDER_SOURCE,
        subject=key,
        event_id=derived_id(cause.get_id(), f"embedding.created:{doc.content_hash}"),
        extensions={
            "causationid": cause.get_id(),
            "correlationid": cause.get_extension("correlationid") or cause.get_id(),
            "partitionkey": key,
            "entity": "embedding",
            "contenthash": doc.content_hash,
        },
    )
