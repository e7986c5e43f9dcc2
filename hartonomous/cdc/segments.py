"""Reassembly of SQL Server CES events split into segments.

A large CES event is published as several CloudEvents sharing ``logicalid``; each carries one
fragment of the ``data`` text. Two attribute shapes exist:

- current: ``segmentindex`` (0-based in the docs, 1-based seen in the wild) + ``finalsegment``;
- older docs: ``splitindex`` + ``splittotalcnt``.

Segments may arrive out of order or twice. A group is complete when every index from its base
up to the final one is present *and* the concatenated text parses as JSON. The parse check is
what tells a 1-based group ``1..n`` from a 0-based group still missing segment 0: without its
opening fragment the text never parses.

The buffer is bounded (groups and bytes); the oldest group is evicted when full, and groups
older than the timeout are abandoned. Both come back as :class:`Abandoned` values carrying the
error and the raw inputs, for the DLQ. Nothing raises out of :meth:`SegmentAssembler.add`.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from hartonomous.cdc.exceptions import (
    ChangeCaptureError,
    MalformedCesEventError,
    SegmentBufferFullError,
    SegmentTimeoutError,
)


@dataclass(frozen=True, slots=True)
class Segment:
    """One fragment of a logical event."""

    logical_id: str
    index: int
    fragment: str
    attributes: Mapping[str, Any]
    final: bool | None = None  # current shape
    total: int | None = None  # older shape
    raw: object = None  # the original input, handed back for the DLQ


@dataclass(frozen=True, slots=True)
class Assembled:
    """A complete logical event: the first segment's attributes and the parsed ``data``."""

    logical_id: str
    attributes: Mapping[str, Any]
    data: Any
    segment_count: int
    raws: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A group given up on (malformed, timed out, evicted): destined for the DLQ."""

    logical_id: str
    error: ChangeCaptureError
    raws: tuple[object, ...]


Outcome: TypeAlias = Assembled | Abandoned


@dataclass
class _Group:
    first_seen: float
    segments: dict[int, Segment] = field(default_factory=dict)
    size: int = 0
    final_index: int | None = None
    total: int | None = None

    def raws(self) -> tuple[object, ...]:
        return tuple(s.raw for _, s in sorted(self.segments.items()))


class SegmentAssembler:
    """Collects segments by ``logicalid`` and hands back complete or abandoned groups."""

    def __init__(
        self,
        *,
        max_groups: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        timeout_s: float = 300.0,
        remember_completed: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._groups: OrderedDict[str, _Group] = OrderedDict()
        self._completed: OrderedDict[str, None] = OrderedDict()
        self._bytes = 0
        self._max_groups = max_groups
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._remember = remember_completed
        self._clock = clock

    @property
    def pending_groups(self) -> int:
        return len(self._groups)

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def add(self, segment: Segment) -> list[Outcome]:
        """Add one segment; return what completed or had to be abandoned because of it."""
        if segment.logical_id in self._completed:
            return []  # a resent segment of an event already delivered: at-least-once duplicate
        outcomes: list[Outcome] = []
        group = self._groups.get(segment.logical_id)
        if group is None:
            group = _Group(first_seen=self._clock())
            self._groups[segment.logical_id] = group
        if segment.index in group.segments:
            return outcomes  # duplicate segment: the first copy wins
        group.segments[segment.index] = segment
        group.size += len(segment.fragment)
        self._bytes += len(segment.fragment)
        if segment.final:
            group.final_index = segment.index
        if segment.total is not None:
            group.total = segment.total
        done = self._try_complete(segment.logical_id, group)
        if done is not None:
            outcomes.append(done)
        outcomes.extend(self._enforce_bounds())
        return outcomes

    def expire(self, now: float | None = None) -> list[Abandoned]:
        """Abandon every group older than the timeout."""
        now = self._clock() if now is None else now
        stale = []
        for lid, group in self._groups.items():  # oldest first: stop at the first fresh group
            if now - group.first_seen < self._timeout_s:
                break
            stale.append(lid)
        return [
            self._abandon(lid, SegmentTimeoutError(self._missing_text(lid, "timed out"), logical_id=lid))
            for lid in stale
        ]

    def pending_raws(self) -> list[object]:
        """The inputs held in incomplete groups, oldest group first. A consumer must not commit
        offsets past the oldest of them, or a crash loses those segments."""
        return [raw for group in self._groups.values() for raw in group.raws()]

    def drain(self) -> list[Abandoned]:
        """Abandon everything still incomplete (end of input)."""
        return [
            self._abandon(lid, SegmentTimeoutError(self._missing_text(lid, "input ended"), logical_id=lid))
            for lid in list(self._groups)
        ]

    def _try_complete(self, logical_id: str, group: _Group) -> Outcome | None:
        indices = set(group.segments)
        if group.total is not None:
            base = 0 if 0 in indices else 1
            if indices != set(range(base, base + group.total)):
                return None
        elif group.final_index is not None:
            base = 0 if 0 in indices else 1
            if indices != set(range(base, group.final_index + 1)):
                return None
        else:
            return None
        ordered = [group.segments[i] for i in sorted(indices)]
        text = "".join(s.fragment for s in ordered)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if base == 1 and group.total is None:
                return None  # maybe a 0-based group still missing segment 0
            what = "CES data is" if len(ordered) == 1 else f"{len(ordered)} segments joined are"
            return self._abandon(
                logical_id, MalformedCesEventError(f"logical event {logical_id}: {what} not valid JSON: {exc}")
            )
        self._forget(logical_id)
        self._completed[logical_id] = None
        while len(self._completed) > self._remember:
            self._completed.popitem(last=False)
        return Assembled(logical_id, ordered[0].attributes, data, len(ordered), group.raws())

    def _enforce_bounds(self) -> list[Abandoned]:
        evicted: list[Abandoned] = []
        while self._groups and (len(self._groups) > self._max_groups or self._bytes > self._max_bytes):
            oldest = next(iter(self._groups))
            reason = (
                f"reassembly buffer full ({len(self._groups)} groups, {self._bytes} bytes; "
                f"bounds {self._max_groups} groups, {self._max_bytes} bytes): evicted the oldest"
            )
            evicted.append(
                self._abandon(oldest, SegmentBufferFullError(self._missing_text(oldest, reason), logical_id=oldest))
            )
        return evicted

    def _missing_text(self, logical_id: str, reason: str) -> str:
        group = self._groups[logical_id]
        have = sorted(group.segments)
        last = group.final_index if group.final_index is not None else (
            None if group.total is None else group.total - (0 if 0 in have else 1)
        )
        last_text = "unknown (final segment not seen)" if last is None else str(last)
        return f"logical event {logical_id}: {reason}; have segments {have}, last index {last_text}"

    def _abandon(self, logical_id: str, error: ChangeCaptureError) -> Abandoned:
        raws = self._groups[logical_id].raws()
        self._forget(logical_id)
        return Abandoned(logical_id, error, raws)

    def _forget(self, logical_id: str) -> None:
        group = self._groups.pop(logical_id)
        self._bytes -= group.size


def as_int(value: object, name: str) -> int:
    """Attribute values arrive as numbers (structured) or text (binary-mode headers)."""
    if isinstance(value, bool):
        raise MalformedCesEventError(f"'{name}' must be an integer, got a boolean")
    try:
        return int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise MalformedCesEventError(f"'{name}' must be an integer, got {value!r}") from None


def as_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise MalformedCesEventError(f"'{name}' must be a boolean, got {value!r}")
