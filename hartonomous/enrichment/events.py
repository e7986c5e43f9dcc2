"""The events the enricher publishes, with ids derived from their cause.

An id is ``uuid5(cause id + what)``: re-processing the same input after a crash republishes
the same ids, so idempotent subscribers (the graph projector MERGEs on event id) see it once.
Every derived event carries ``causationid`` (the input event) and ``correlationid`` (the
input's own correlation id, or the input's id when it had none).
"""

from __future__ import annotations

import uuid
from typing import Any

from hartonomous.embedding.categories import Category
from hartonomous.events import Event, new_event, types

ENRICHER_SOURCE = "/hartonomous/enricher"
_NAMESPACE = uuid.UUID("b3c1f0e2-8a44-4c55-9d0e-4e1c0de0e4a1")


def derived_id(cause_id: str, what: str) -> str:
    """A deterministic event id for ``what`` caused by event ``cause_id``."""
    return str(uuid.uuid5(_NAMESPACE, f"{cause_id}|{what}"))


def _lineage(cause: Event) -> dict[str, Any]:
    return {
        "causationid": cause.get_id(),
        "correlationid": cause.get_extension("correlationid") or cause.get_id(),
    }


def enriched_event(
    cause: Event,
    *,
    operation: str,
    entity: str,
    key: str | None,
    change: dict[str, Any],
    category: Category | None = None,
    content_hash: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """``com.hartonomous.change.enriched.v1``: the change plus its semantic extensions."""
    data: dict[str, Any] = {
        "source_event_id": cause.get_id(),
        "source_type": cause.get_type(),
        "operation": operation,
        "entity": entity,
        "category": category.label if category else None,
        "category_confidence": category.confidence if category else None,
        "content_hash": content_hash,
        **(extra or {}),
        "change": change,
    }
    extensions: dict[str, Any] = {
        **_lineage(cause),
        "operation": operation,
        "entity": entity,
        "category": category.label if category else None,
        "contenthash": content_hash,
        "partitionkey": key,
    }
    return new_event(
        types.CHANGE_ENRICHED, data, source=ENRICHER_SOURCE, subject=cause.get_subject(),
        event_id=derived_id(cause.get_id(), "enriched"), time=cause.get_time(), extensions=extensions,
    )


def embed_job_event(cause: Event, *, document_id: int, content_hash: str, embedder: str) -> Event:
    """``com.hartonomous.job.embed.requested.v1`` for one version of one document."""
    key = f"documents:{document_id}"
    return new_event(
        types.JOB_EMBED_REQUESTED,
        {"document_id": document_id, "content_hash": content_hash, "embedder": embedder},
        source=ENRICHER_SOURCE,
        subject=key,
        event_id=derived_id(cause.get_id(), f"embed:{document_id}:{embedder}:{content_hash}"),
        extensions={**_lineage(cause), "partitionkey": key, "entity": "document"},
    )


def decompose_job_event(cause: Event, *, uri: str, name: str | None) -> Event:
    """``com.hartonomous.job.decompose.requested.v1`` for a model ingestion request."""
    data: dict[str, Any] = {"uri": uri, "request_id": cause.get_id()}
    if name:
        data["name"] = name
    return new_event(
        types.JOB_DECOMPOSE_REQUESTED, data, source=ENRICHER_SOURCE, subject=uri,
        event_id=derived_id(cause.get_id(), f"decompose:{uri}"),
        extensions={**_lineage(cause), "partitionkey": uri, "entity": "model"},
    )
