"""Read any change event the pipeline accepts into :class:`RowChange` values.

Two event types are accepted: ours (``com.hartonomous.cdc.row.changed.v1``, data already in
the change model) and SQL Server CES (``com.microsoft.SQL.CES.DML.V1``, possibly split into
segments). Consumers of ``hartonomous.cdc`` and ``hartonomous inspect-event`` both go through
:class:`ChangeReader`; every failure comes back as a :class:`Rejected` value for the DLQ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from hartonomous.cdc.ces import is_ces, normalize_ces, segment_of
from hartonomous.cdc.exceptions import ChangeCaptureError, UnsupportedEventTypeError
from hartonomous.cdc.model import RowChange
from hartonomous.cdc.segments import Abandoned, Assembled, SegmentAssembler
from hartonomous.events import Event, types


@dataclass(frozen=True, slots=True)
class Normalized:
    """A complete logical change; ``raws`` are the inputs it came from (one, or its segments)."""

    change: RowChange
    raws: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that does not make a change; ``error`` says why."""

    error: ChangeCaptureError
    raws: tuple[object, ...]


ReadOutcome: TypeAlias = Normalized | Rejected


class ChangeReader:
    """Normalises events one at a time, reassembling CES segments across calls."""

    def __init__(self, assembler: SegmentAssembler | None = None) -> None:
        self._assembler = assembler if assembler is not None else SegmentAssembler()

    @property
    def assembler(self) -> SegmentAssembler:
        return self._assembler

    def feed(self, event: Event, raw: object = None) -> list[ReadOutcome]:
        """One decoded CloudEvent in; zero or more outcomes out (zero while segments wait)."""
        return self.feed_parts(event.get_attributes(), event.get_data(), raw)

    def feed_parts(self, attributes: Mapping[str, Any], data: Any, raw: object = None) -> list[ReadOutcome]:
        """Same as :meth:`feed`, from an event's attributes and data. Groups past their timeout
        come back too (as :class:`Rejected`), so a consumer needs no timer of its own."""
        return [*self._feed(attributes, data, raw), *self.expire()]

    def pending_raws(self) -> list[object]:
        """Inputs held in incomplete CES groups (see :meth:`SegmentAssembler.pending_raws`)."""
        return self._assembler.pending_raws()

    def _feed(self, attributes: Mapping[str, Any], data: Any, raw: object) -> list[ReadOutcome]:
        event_type = str(attributes.get("type", ""))
        try:
            if event_type == types.CDC_ROW_CHANGED:
                return [Normalized(RowChange.from_data(data), (raw,))]
            if not is_ces(attributes):
                raise UnsupportedEventTypeError(
                    f"type {event_type!r} is neither {types.CDC_ROW_CHANGED} nor {types.SQLSERVER_CES_DML}"
                )
            segment = segment_of(attributes, data, raw)
            if segment is None:
                return [Normalized(normalize_ces(attributes, data), (raw,))]
            return [self._from_assembly(outcome) for outcome in self._assembler.add(segment)]
        except ChangeCaptureError as exc:
            return [Rejected(exc, (raw,))]

    def expire(self, now: float | None = None) -> list[Rejected]:
        """Incomplete CES groups past their timeout."""
        return [Rejected(a.error, a.raws) for a in self._assembler.expire(now)]

    def drain(self) -> list[Rejected]:
        """Every group still incomplete (at the end of a finite input)."""
        return [Rejected(a.error, a.raws) for a in self._assembler.drain()]

    @staticmethod
    def _from_assembly(outcome: Assembled | Abandoned) -> ReadOutcome:
        if isinstance(outcome, Abandoned):
            return Rejected(outcome.error, outcome.raws)
        try:
            return Normalized(normalize_ces(outcome.attributes, outcome.data), outcome.raws)
        except ChangeCaptureError as exc:
            return Rejected(exc, outcome.raws)
