"""The ports that consumers and producers plug into the runtime with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from hartonomous.bus.delivery import Delivery, Failure
from hartonomous.events import Event


@runtime_checkable
class BatchHandler(Protocol):
    """A consumer: handles one batch of events from one topic-partition.

    ``handle`` returns the events it could not process (they go to the DLQ) and must have
    written everything else to its sink before returning: the offsets are committed next.
    Raise :class:`~hartonomous.bus.exceptions.TransientError` to have the whole batch retried.
    """

    name: str

    async def setup(self) -> None: ...

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]: ...

    async def close(self) -> None: ...


@runtime_checkable
class HoldsDeliveries(Protocol):
    """Optional: a handler that keeps some deliveries in memory across batches (for instance
    the segments of a split SQL Server CES event waiting for the rest) says so here, and the
    runtime never commits past the oldest of them, so a crash cannot lose them."""

    def held_offset(self, topic: str, partition: int) -> int | None:
        """The lowest offset still held for this topic-partition, or None."""
        ...


@dataclass(frozen=True)
class SourceRecord:
    """One event read from a source, and the source position to confirm once it is on Kafka."""

    topic: str
    event: Event
    key: str | bytes | None
    position: Any


@runtime_checkable
class ChangeSource(Protocol):
    """A producer's source (a replication slot, a CDC table, ...).

    ``confirm(position)`` is called only after Kafka acknowledged every record up to and
    including the one carrying ``position``.
    """

    name: str

    async def setup(self) -> None: ...

    async def read_batch(self, max_records: int) -> Sequence[SourceRecord]: ...

    async def confirm(self, position: Any) -> None: ...

    async def close(self) -> None: ...
