"""From an event to the rows of the projection statements in ``neo4j/projection/`` (pure).

``project(event, origin)`` returns a :class:`Projection`: for each statement name, the rows it
receives as ``$rows``. Rows of many events are concatenated per statement (``combine``) and each
statement runs once per batch, in :data:`STATEMENT_ORDER`, inside one transaction.

Event types the graph does not record (pings, job requests) project to nothing. A payload whose
required fields are missing or malformed raises :class:`ProjectionError`: that event alone is
refused (DLQ), never its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hartonomous.events import Event, extensions_of, types
from hartonomous.graph import changes, lifecycle
from hartonomous.graph.context import EventContext, Mapped
from hartonomous.graph.values import Props, iso_time

# The statements of neo4j/projection/, in the order they run within a transaction: the event
# first (activities link to it), a row change before the document it generated.
STATEMENT_ORDER: tuple[str, ...] = (
    "event",
    "change_row",
    "change_document",
    "inference",
    "model_decomposed",
    "model_extracted",
    "model_layers",
    "model_tensors",
    "embedding_created",
)

Mapper = Callable[[Any, EventContext], Mapped]

MAPPERS: Mapping[str, Mapper] = {
    types.CHANGE_ENRICHED: changes.map_change_enriched,
    types.EMBEDDING_CREATED: lifecycle.map_embedding_created,
    types.MODEL_DECOMPOSED: lifecycle.map_model_decomposed,
    types.MODEL_EXTRACTED: lifecycle.map_model_extracted,
    types.INFERENCE_LOGGED: lifecycle.map_inference_logged,
}


@dataclass(frozen=True)
class Origin:
    """Where an event was read: its topic-partition, offset and Kafka timestamp."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class Projection:
    """The rows one event (or a batch) contributes to each projection statement."""

    rows: Mapping[str, tuple[Props, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when no statement has a row."""
        return not any(self.rows.values())

    def statements(self) -> list[tuple[str, list[Props]]]:
        """``(statement name, rows)`` in :data:`STATEMENT_ORDER`, skipping empty ones."""
        return [(name, list(self.rows[name])) for name in STATEMENT_ORDER if self.rows.get(name)]


def combine(projections: Iterable[Projection]) -> Projection:
    """One projection holding the rows of many, in order (event order within each statement)."""
    merged: dict[str, list[Props]] = {}
    for projection in projections:
        for name, rows in projection.rows.items():
            merged.setdefault(name, []).extend(rows)
    return Projection({name: tuple(rows) for name, rows in merged.items()})


def project(event: Event, origin: Origin) -> Projection:
    """The rows ``event`` writes; raises ProjectionError when its payload cannot be projected."""
    mapper = MAPPERS.get(event.get_type())
    if mapper is None:
        return Projection()
    ctx = context_of(event, origin)
    mapped = mapper(event.get_data(), ctx)
    causes = list(mapped.causes)
    causation = ctx.extensions.get("causationid")
    if isinstance(causation, str) and causation and causation != ctx.event_id:
        causes.append({"id": causation, "type": None})
    rows: dict[str, tuple[Props, ...]] = {name: tuple(r) for name, r in mapped.rows.items()}
    rows["event"] = (event_row(ctx, origin, causes),)
    return Projection(rows)


def context_of(event: Event, origin: Origin) -> EventContext:
    """The attributes every row of an event shares (id, time, the publishing service)."""
    time = iso_time(event.get_time())
    if time is None and origin.timestamp_ms is not None:
        time = datetime.fromtimestamp(origin.timestamp_ms / 1000, tz=timezone.utc).isoformat()
    return EventContext(
        event_id=event.get_id(),
        event_type=event.get_type(),
        service=event.get_source(),
        time=time,
        subject=event.get_subject(),
        extensions=extensions_of(event),
    )


def event_row(ctx: EventContext, origin: Origin, causes: list[Props]) -> Props:
    """The row of ``projection/event``."""
    unique: dict[str, Props] = {}
    for cause in causes:  # the first mention wins: the mapper's carry a type, causationid does not
        if cause.get("id") and cause["id"] != ctx.event_id:
            unique.setdefault(cause["id"], cause)
    return {
        "id": ctx.event_id,
        "type": ctx.event_type,
        "source": ctx.service,
        "subject": ctx.subject,
        "time": ctx.time,
        "topic": origin.topic,
        "partition": origin.partition,
        "offset": origin.offset,
        "causes": list(unique.values()),
    }
