"""Mapping of ``change.enriched`` (a captured row change with its semantic extensions).

Every change becomes an ``(:Ingestion)`` activity that USED its source ``(:Table)``, keyed by the
CDC event id (deterministic: a replayed change keeps it). On top of that:
- a ``documents`` row generates (or, deleted, invalidates) its ``(:Document)``;
- an ``inference_requests`` row is an ``(:Inference)`` recorded in its table, with the models it
  used and, for a search, the documents it returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hartonomous.events import types

from hartonomous.graph.context import EventContext, Mapped
from hartonomous.graph.exceptions import ProjectionError
from hartonomous.graph.values import (
    Props,
    id_list,
    iso_time,
    json_text,
    optional_number,
    optional_text,
    props,
    require_id,
    require_map,
    require_text,
)

DOCUMENT_TABLES = frozenset({"documents"})
DOCUMENT_ENTITIES = frozenset({"document", "documents"})
INFERENCE_TABLES = frozenset({"inference_requests"})
INFERENCE_ENTITIES = frozenset({"inference", "inference_request", "inference_requests"})
_DELETE = "delete"


def map_change_enriched(data: Any, ctx: EventContext) -> Mapped:
    """Rows for one enriched change (see the module docstring)."""
    d = require_map(data, "data")
    source_event_id = require_text(d, "source_event_id", "data")
    source_type = require_text(d, "source_type", "data")
    operation = require_text(d, "operation", "data")
    entity = require_text(d, "entity", "data")
    change = require_map(d.get("change"), "data.change")
    source = require_map(change.get("source"), "data.change.source")
    table = require_text(source, "table", "data.change.source")
    key = require_map(change.get("key", {}), "data.change.key")
    row = _row_of(change)
    table_key, table_props = table_of(source, table)
    row_key = json_text(dict(key)) if key else None
    causes = [{"id": source_event_id, "type": source_type}]
    request = _ingest_request_of(row)
    if request is not None:
        causes.append({"id": request, "type": types.INGEST_REQUESTED})

    kind = _kind(table, entity)
    if kind == "inference" and operation != _DELETE:
        inference = _inference_row(ctx, key, row, table_key, table_props, row_key)
        return Mapped({"inference": [inference]}, causes)

    content_hash = optional_text(d, "content_hash") or optional_text(row, "content_hash")
    category = optional_text(d, "category") or optional_text(row, "category")
    activity: Props = {
        "activity_id": source_event_id,
        "props": props(
            op=operation,
            entity=entity,
            table=table_key,
            row_key=row_key,
            lsn=optional_text(source, "commit_lsn"),
            sequence=optional_text(source, "sequence"),
            commit_time=optional_text(source, "commit_time"),
            content_hash=content_hash,
            category=category,
            source_type=source_type,
        ),
        "table_key": table_key,
        "table_props": table_props,
        **ctx.link(),
    }
    rows: dict[str, list[Props]] = {"change_row": [activity]}
    if kind == "document":
        document = {
            "activity_id": source_event_id,
            "document_id": _row_id(key, row, "data.change.key"),
            "deleted": operation == _DELETE,
            "time": ctx.time,
            "props": props(
                content_hash=content_hash,
                category=category,
                category_confidence=optional_number(d, "category_confidence"),
                source_uri=optional_text(row, "source_uri") or optional_text(row, "uri"),
                title=optional_text(row, "title"),
                table=table_key,
                row_key=row_key,
            ),
        }
        rows["change_document"] = [document]
    return Mapped(rows, causes)


def table_of(source: Mapping[str, Any], table: str) -> tuple[str, Props]:
    """The key of a source table, ``system://db/schema.table``, and its properties. A file or
    folder (an ingestion request's source, system ``file``) is keyed by its own URI."""
    system = optional_text(source, "system") or "unknown"
    if system == "file":
        return table, props(system=system, name=table)
    db = optional_text(source, "db") or ""
    schema = optional_text(source, "schema") or ""
    qualified = f"{schema}.{table}" if schema else table
    return f"{system}://{db}/{qualified}", props(system=system, db=db, schema=schema, name=table)


def _kind(table: str, entity: str) -> str:
    name, label = table.lower(), entity.lower().rsplit(".", 1)[-1]
    if name in DOCUMENT_TABLES or label in DOCUMENT_ENTITIES:
        return "document"
    if name in INFERENCE_TABLES or label in INFERENCE_ENTITIES:
        return "inference"
    return "row"


def _row_of(change: Mapping[str, Any]) -> Mapping[str, Any]:
    for side in ("after", "before"):
        value = change.get(side)
        if value is not None:
            return require_map(value, f"data.change.{side}")
    return {}


def _row_id(key: Mapping[str, Any], row: Mapping[str, Any], where: str) -> str:
    """The id of a row: its single primary-key value, the JSON of a composite key, or its ``id``."""
    if len(key) == 1:
        return require_id(key, next(iter(key)), where)
    if key:
        return json_text(dict(key))
    if "id" in row:
        return require_id(row, "id", "data.change.row")
    raise ProjectionError(f"{where} is empty and the row has no id: cannot identify the row")


def _inference_row(
    ctx: EventContext,
    key: Mapping[str, Any],
    row: Mapping[str, Any],
    table_key: str,
    table_props: Props,
    row_key: str | None,
) -> Props:
    kind = optional_text(row, "kind")
    documents = id_list(row.get("documents"), "data.change.after.documents")
    if kind == "search":
        documents += id_list(row.get("result_ids"), "data.change.after.result_ids")
    return {
        "id": _row_id(key, row, "data.change.key"),
        "props": props(
            kind=kind,
            duration_ms=_number(row.get("duration_ms")),
            inputs=row.get("inputs"),
            requested_by=optional_text(row, "requested_by"),
            table=table_key,
            row_key=row_key,
        ),
        "time": iso_time(row.get("created_at")) or ctx.time,
        "models": id_list(row.get("models"), "data.change.after.models"),
        "documents": list(dict.fromkeys(documents)),
        "user": optional_text(row, "requested_by"),
        "table_key": table_key,
        "table_props": table_props,
        "event_id": ctx.event_id,
        "service": ctx.service,
    }


def _ingest_request_of(row: Mapping[str, Any]) -> str | None:
    """The ingestion request that wrote a row, when its ``metadata`` says (``ingest_event``);
    CDC carries jsonb as text. Unreadable metadata is ignored (it is optional)."""
    metadata = row.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return None
    if isinstance(metadata, Mapping):
        value = metadata.get("ingest_event")
        return value if isinstance(value, str) and value else None
    return None


def _number(value: object) -> float | None:
    """CDC carries floats as exact text; tolerate either form, drop what is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
