"""Mapping of the pipeline's lifecycle events: embedding.created, model.decomposed,
model.extracted and inference.logged (see the statements in ``neo4j/projection/``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hartonomous.events import types
from hartonomous.graph.context import EventContext, Mapped
from hartonomous.graph.exceptions import ProjectionError
from hartonomous.graph.values import (
    Props,
    id_list,
    optional_int,
    optional_number,
    optional_text,
    props,
    require_id,
    require_map,
    require_text,
)


def map_embedding_created(data: Any, ctx: EventContext) -> Mapped:
    """An embedding of a document by an embedder; the job is keyed by what it computed."""
    d = require_map(data, "data")
    document_id = require_id(d, "document_id", "data")
    embedder = require_text(d, "embedder", "data")
    content_hash = require_text(d, "content_hash", "data")
    dimension = d.get("dimension")
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ProjectionError(f"data.dimension is required (a positive integer), got {dimension!r}")
    row = {
        "job_id": f"{embedder}|{document_id}|{content_hash}",
        "embedding_id": f"{embedder}|{document_id}",
        "document_id": document_id,
        "embedder": embedder,
        "content_hash": content_hash,
        "dimension": dimension,
        "props": props(store_id=optional_text(d, "embedding_id")),
        **ctx.link(),
    }
    return Mapped({"embedding_created": [row]})


def map_model_decomposed(data: Any, ctx: EventContext) -> Mapped:
    """A model file became rows: the model, its decomposition, its layers and tensors."""
    d = require_map(data, "data")
    name = require_text(d, "name", "data")
    file_hash = require_text(d, "file_hash", "data")
    model_format = require_text(d, "format", "data")
    model_id = require_id(d, "model_id", "data")
    parent = optional_text(d, "parent")
    row = {
        "name": name,
        "model_props": props(
            model_id=model_id,
            format=model_format,
            file_hash=file_hash,
            architecture=optional_text(d, "architecture"),
            tensor_count=optional_int(d, "tensor_count"),
            tensors_omitted=optional_int(d, "tensors_omitted"),
            layer_count=optional_int(d, "layer_count"),
            parameter_count=optional_int(d, "parameter_count"),
            bytes=optional_int(d, "bytes"),
            source_uri=optional_text(d, "source_uri"),
        ),
        "activity_id": f"{name}|{file_hash}",
        "activity_props": props(
            file_hash=file_hash,
            format=model_format,
            source_uri=optional_text(d, "source_uri"),
            bytes=optional_int(d, "bytes"),
            new_chunk_bytes=optional_int(d, "new_chunk_bytes"),
            dedup_ratio=optional_number(d, "dedup_ratio"),
        ),
        "parent": parent,
        "method": optional_text(d, "derivation") or ("fine-tune" if parent else None),
        **ctx.link(),
    }
    rows: dict[str, list[Props]] = {"model_decomposed": [row]}
    rows.update(tensor_rows(name, d.get("tensors"), "data.tensors"))
    request = optional_text(d, "request_id")  # the ingestion request the job came from
    return Mapped(rows, [{"id": request, "type": types.INGEST_REQUESTED}] if request else [])


def map_model_extracted(data: Any, ctx: EventContext) -> Mapped:
    """A student extracted from a parent: WAS_DERIVED_FROM {method}, and its Extraction."""
    d = require_map(data, "data")
    name = require_text(d, "name", "data")
    parent = require_text(d, "parent", "data")
    method = require_text(d, "method", "data")
    model_id = require_id(d, "model_id", "data")
    if name == parent:
        raise ProjectionError(f"data.name and data.parent are both {name!r}: a model cannot derive from itself")
    selection = d.get("selection")
    row = {
        "name": name,
        "model_props": props(model_id=model_id, file_hash=optional_text(d, "file_hash")),
        "parent": parent,
        "method": method,
        "activity_id": f"{parent}|{name}|{model_id}",
        "activity_props": props(
            method=method, parent=parent, selection=selection if isinstance(selection, Mapping) else None
        ),
        **ctx.link(),
    }
    rows: dict[str, list[Props]] = {"model_extracted": [row]}
    rows.update(tensor_rows(name, d.get("tensors"), "data.tensors"))
    return Mapped(rows)


def map_inference_logged(data: Any, ctx: EventContext) -> Mapped:
    """A query-side operation announced directly (the same node CDC of its row projects)."""
    d = require_map(data, "data")
    request_id = require_id(d, "request_id", "data")
    kind = require_text(d, "kind", "data")
    if "models" not in d:
        raise ProjectionError("data.models is required (a list of model names)")
    models = id_list(d.get("models"), "data.models")
    user = optional_text(d, "requested_by") or optional_text(d, "user")
    row = {
        "id": request_id,
        "props": props(kind=kind, duration_ms=optional_number(d, "duration_ms"), requested_by=user),
        "time": ctx.time,
        "models": models,
        "documents": id_list(d.get("documents"), "data.documents"),
        "user": user,
        "table_key": None,
        "table_props": {},
        "event_id": ctx.event_id,
        "service": ctx.service,
    }
    return Mapped({"inference": [row]})


def tensor_rows(model: str, tensors: object, where: str) -> dict[str, list[Props]]:
    """``model_layers`` and ``model_tensors`` rows from an optional tensor list
    (``[{name, content_hash, layer?, layer_index?, component?, dtype?, shape?, bytes?}]``)."""
    if tensors is None:
        return {}
    if not isinstance(tensors, list):
        raise ProjectionError(f"{where} must be a list, got {type(tensors).__name__}")
    layers: dict[str, Props] = {}
    rows: list[Props] = []
    for i, item in enumerate(tensors):
        t = require_map(item, f"{where}[{i}]")
        tensor_name = require_text(t, "name", f"{where}[{i}]")
        content_hash = require_text(t, "content_hash", f"{where}[{i}]")
        layer = optional_text(t, "layer")
        layer_key = f"{model}/{layer}" if layer else None
        if layer_key is not None and layer_key not in layers:
            layers[layer_key] = {"model": model, "key": layer_key, "name": layer,
                                 "index": optional_int(t, "layer_index")}
        shape = t.get("shape")
        dims = [int(s) for s in shape] if isinstance(shape, list) and _int_list(shape) else None
        rows.append({
            "model": model,
            "key": f"{model}/{tensor_name}",
            "layer_key": layer_key,
            "props": props(
                name=tensor_name,
                model=model,
                content_hash=content_hash,
                layer=layer,
                component=optional_text(t, "component"),
                dtype=optional_text(t, "dtype"),
                shape=dims,
                bytes=optional_int(t, "bytes"),
            ),
        })
    out: dict[str, list[Props]] = {"model_tensors": rows}
    if layers:
        out["model_layers"] = list(layers.values())
    return out


def _int_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
