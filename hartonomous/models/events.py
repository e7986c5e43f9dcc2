"""The ``com.hartonomous.model.decomposed.v1`` announcement of an ingest (pure functions).

Announced on ``hartonomous.enriched``, keyed by the model name. Caused by a job request, its id
is derived from the request's, so a redelivered request announces the same event again.

The data carries the counts, bytes and dedup of the ingest and, for the provenance graph, the
tensors (name, layer, component, role, dtype, shape, bytes, content hash; never weights). A
Kafka message must stay under about 1 MB (the broker's and Event Hubs' limit), so the tensor
list stops at :data:`TENSORS_MAX_BYTES` of JSON and ``tensors_omitted`` says how many were left
out (a model needs thousands of tensors for that).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from hartonomous.events import Event, new_event, types
from hartonomous.models.plan import IngestResult

DECOMPOSER_SOURCE = "/hartonomous/decomposer"
_NAMESPACE = uuid.UUID("6f1c1a52-7d4e-4d0c-9a57-5a3c2f0b9d11")
TENSORS_MAX_BYTES = 600 * 1024


def decomposed_data(result: IngestResult, *, request_id: str | None = None) -> dict[str, Any]:
    """The event data for an ingest result."""
    data: dict[str, Any] = {
        "model_id": result.model_id,
        "name": result.name,
        "format": result.format,
        "file_hash": result.file_hash,
        "tensor_count": result.tensor_count,
        "layer_count": result.layer_count,
        "bytes": result.bytes,
        "tensor_bytes": result.tensor_bytes,
        "parameter_count": result.parameter_count,
        "chunk_count": result.chunk_count,
        "new_chunk_bytes": result.new_chunk_bytes,
        "dedup_ratio": round(result.dedup_ratio, 6),
        "weight_rows": result.weight_rows,
        "vocab_size": result.vocab_size,
        "unchanged": result.unchanged,
    }
    optional = {
        "architecture": result.architecture, "source_uri": result.source_uri, "parent": result.parent,
        "derivation": result.derivation, "request_id": request_id,
    }
    data.update({k: v for k, v in optional.items() if v})
    tensors: list[dict[str, Any]] = []
    size = 0
    for tensor in result.tensors:
        item = tensor.as_event()
        size += len(json.dumps(item)) + 2  # the ", " between items
        if size > TENSORS_MAX_BYTES:
            break
        tensors.append(item)
    data["tensors"] = tensors
    if len(tensors) < result.tensor_count:
        data["tensors_omitted"] = result.tensor_count - len(tensors)
    return data


def decomposed_event(result: IngestResult, cause: Event | None = None) -> Event:
    """``model.decomposed`` for ``result``; with ``cause`` (the job request) it carries its lineage."""
    extensions: dict[str, Any] = {"partitionkey": result.name, "entity": "model"}
    request_id = event_id = None
    if cause is not None:
        attrs: Mapping[str, Any] = cause.get_attributes()
        extensions["causationid"] = cause.get_id()
        extensions["correlationid"] = attrs.get("correlationid") or cause.get_id()
        if attrs.get("traceparent"):
            extensions["traceparent"] = attrs["traceparent"]
        data = cause.get_data()
        request_id = str(data.get("request_id") or cause.get_id()) if isinstance(data, dict) else cause.get_id()
        # the same request announced again (a redelivery) is the same event
        event_id = str(uuid.uuid5(_NAMESPACE, f"{cause.get_id()}|model.decomposed|{result.model_id}"))
    return new_event(
        types.MODEL_DECOMPOSED, decomposed_data(result, request_id=request_id), source=DECOMPOSER_SOURCE,
        subject=result.name, event_id=event_id, extensions=extensions,
    )
