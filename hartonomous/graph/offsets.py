"""Exactly-once bookkeeping of the projector (pure logic, unit-tested without Neo4j).

For each (projector, topic, partition) an ``(:Offset)`` node holds the last applied offset and
the offsets the last handled batch refused. Within the transaction that writes a batch:

1. the node is read under a write lock (:class:`OffsetState`);
2. :func:`plan_batch` keeps the items above the stored offset (a replayed item is skipped), and
   re-reports the refused items of the batch that were recorded but maybe never dead-lettered
   (a crash between the Neo4j commit and the DLQ publish must not lose them);
3. the batch's rows and the new state are written, then committed together.

Why the refused offsets may be forgotten below ``batch_start``: a batch starts at the position
Kafka delivered from, i.e. the committed offset or the offset after the previous batch, and the
runtime commits a batch only after its dead letters were acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hartonomous.graph.projection import Projection, combine

MAX_ERROR_CHARS = 500


def offset_key(projector: str, topic: str, partition: int) -> str:
    """The key of the offset node. The consumer group is deliberately not part of it: the same
    logical projector replaying from offset zero under a new group still skips what it applied."""
    return f"{projector}|{topic}|{partition}"


@dataclass(frozen=True)
class OffsetState:
    """What the offset node holds: the last applied offset and the refused ones with reasons."""

    offset: int = -1
    failed: tuple[int, ...] = ()
    failed_errors: tuple[str, ...] = ()

    def refused(self) -> dict[int, str]:
        """Refused offset -> reason."""
        return dict(zip(self.failed, self.failed_errors, strict=False))


@dataclass(frozen=True)
class BatchItem:
    """One event of a batch: its offset and either its projection or why it was refused."""

    offset: int
    projection: Projection | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchPlan:
    """What one transaction does for a batch, and what it reports back."""

    previous: OffsetState
    state: OffsetState
    projection: Projection
    applied: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()
    refused: dict[int, str] = field(default_factory=dict)
    """Offsets to hand back as failures (DLQ): refused now, or refused before and replayed."""

    @property
    def changes_state(self) -> bool:
        """True when the offset node must be written."""
        return self.state != self.previous


def plan_batch(state: OffsetState, batch_start: int, items: Sequence[BatchItem]) -> BatchPlan:
    """Decide what a batch writes given the stored state (see the module docstring)."""
    earlier = {o: e for o, e in state.refused().items() if o >= batch_start}
    applied: list[int] = []
    skipped: list[int] = []
    refused: dict[int, str] = {}
    projections: list[Projection] = []
    for item in items:
        if item.offset <= state.offset:
            skipped.append(item.offset)
            if item.offset in earlier:
                refused[item.offset] = earlier[item.offset]
            continue
        if item.error is not None:
            reason = item.error[:MAX_ERROR_CHARS]
            refused[item.offset] = reason
            earlier[item.offset] = reason
            continue
        applied.append(item.offset)
        if item.projection is not None:
            projections.append(item.projection)
    last = max((i.offset for i in items), default=state.offset)
    kept = sorted(earlier)
    new_state = OffsetState(
        offset=max(state.offset, last),
        failed=tuple(kept),
        failed_errors=tuple(earlier[o] for o in kept),
    )
    return BatchPlan(state, new_state, combine(projections), tuple(applied), tuple(skipped), refused)
