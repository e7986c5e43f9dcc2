"""Handling ``com.hartonomous.ingest.requested.v1`` in the enricher.

- ``model`` (or ``auto`` resolving to a model file or folder): one decompose job.
- ``document``: apply the path policy, read and chunk the files, insert the chunks into
  ``documents`` (existing hashes are left alone), and request embed jobs by the rule of
  :mod:`hartonomous.enrichment.jobs`, slice by slice so a whole corpus never sits in one
  Kafka batch. Re-ingesting the same files inserts nothing and requests nothing.
- One ``change.enriched`` event (operation ``ingest``) summarises the request.

A refused or malformed request raises an :class:`~hartonomous.ingest.IngestError`: the
enricher returns it as a failure, and the runtime puts the request in the DLQ with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from psycopg import AsyncConnection

from hartonomous.bus import Outgoing
from hartonomous.config import Settings
from hartonomous.embedding.categories import Category
from hartonomous.enrichment.events import decompose_job_event, embed_job_event, enriched_event
from hartonomous.enrichment.jobs import plan_embeds, record_requested
from hartonomous.events import Event
from hartonomous.ingest import (
    MalformedRequestError,
    allowed_roots,
    check_chunking,
    chunk_files,
    select_files,
)
from hartonomous.ingest.paths import check_allowed, path_of_uri
from hartonomous.ingest.request import resolve_kind
from hartonomous.ingest.store import store_chunks
from hartonomous.store import Queries

Publish = Callable[[Sequence[Outgoing]], Awaitable[Any]]
SLICE = 1000
MAX_LISTED = 50


async def handle_ingest(
    settings: Settings, conn: AsyncConnection, sql: Queries, event: Event, publish: Publish
) -> dict[str, Any]:
    """Carry out one ingestion request; returns the summary published in the enriched event."""
    data = event.get_data()
    if not isinstance(data, dict):
        raise MalformedRequestError("ingest request data must be a JSON object")
    uri = str(data["uri"])
    roots = allowed_roots(settings)
    path = check_allowed(path_of_uri(uri), roots)
    kind = resolve_kind(path, str(data.get("kind", "auto")))
    topics = settings.topics
    if kind == "model":
        job = decompose_job_event(event, uri=path.as_uri(), name=data.get("name"))
        summary: dict[str, Any] = {"kind": "model", "uri": path.as_uri(), "decompose_job": job.get_id()}
        await publish([Outgoing(topics.jobs_decompose, job, path.as_uri()), _summary(event, summary, uri, topics.enriched)])
        return summary
    options = data.get("options") or {}
    size = int(options.get("chunk_size", settings.chunk_size))
    overlap = int(options.get("chunk_overlap", settings.chunk_overlap))
    try:
        check_chunking(size, overlap)
    except ValueError as exc:
        raise MalformedRequestError(str(exc)) from exc
    selection = select_files(uri, roots)
    chunked = await asyncio.to_thread(
        chunk_files, selection.files, size=size, overlap=overlap,
        category=data.get("category"), request_id=event.get_id(),
    )
    inserted = existing = requested = 0
    for start in range(0, len(chunked.rows), SLICE):
        part = chunked.rows[start:start + SLICE]
        stored = await store_chunks(conn, sql, part)
        inserted += len(stored.inserted)
        existing += len(part) - len(stored.inserted)
        plan = await plan_embeds(conn, sql, [r.content_hash for r in part],
                                 embedder=settings.embedder_name, lease_s=settings.embed_job_lease_s)
        jobs = [embed_job_event(event, document_id=doc_id, content_hash=digest, embedder=settings.embedder_name)
                for digest, doc_id in plan.items()]
        if jobs:
            await publish([Outgoing(topics.jobs_embed, j, j.get_extension("partitionkey")) for j in jobs])
            await record_requested(conn, sql, jobs)
            requested += len(jobs)
    summary = {
        "kind": "document",
        "uri": selection.root.as_uri(),
        "files": chunked.files,
        "chunks": len(chunked.rows),
        "inserted": inserted,
        "existing": existing,
        "embed_jobs": requested,
        "refused": [f"{p}: {why}" for p, why in selection.refused][:MAX_LISTED],
        "problems": chunked.problems[:MAX_LISTED],
        "chunk_size": size,
        "chunk_overlap": overlap,
    }
    await publish([_summary(event, summary, uri, topics.enriched)])
    return summary


def _summary(event: Event, summary: dict[str, Any], uri: str, topic: str) -> Outgoing:
    """The enriched event of a request. ``change`` follows the change model's shape (the file
    or folder is the source "table", the summary the "after" row) so subscribers that read
    every enriched event as a change (the graph projector) read this one too."""
    data = event.get_data()
    request = dict(data) if isinstance(data, dict) else {}
    change = {
        "op": "ingest",
        "source": {"system": "file", "db": "", "schema": "", "table": summary.get("uri", uri)},
        "key": {"uri": uri},
        "before": None,
        "after": {**summary, "request_id": event.get_id()},
    }
    enriched = enriched_event(
        event, operation="ingest", entity="ingestion", key=uri, change=change,
        category=Category(request["category"], 1.0) if request.get("category") else None,
        extra={"request": request, "result": summary},
    )
    return Outgoing(topic, enriched, uri)
