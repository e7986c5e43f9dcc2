"""What the per-type mappers share: the event's context and their result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hartonomous.graph.values import Props


@dataclass(frozen=True)
class EventContext:
    """The attributes of the event being projected that every row carries."""

    event_id: str
    event_type: str
    service: str
    time: str | None
    subject: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)

    def link(self) -> Props:
        """The fields every activity row carries: its triggering event and its service."""
        return {"event_id": self.event_id, "service": self.service, "time": self.time}


@dataclass(frozen=True)
class Mapped:
    """A mapper's output: rows per statement, and the events that caused this one."""

    rows: Mapping[str, list[Props]]
    causes: list[Props] = field(default_factory=list)
