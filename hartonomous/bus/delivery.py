"""What a consumer handler receives and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field

from hartonomous.events import Event


@dataclass(frozen=True)
class Delivery:
    """One decoded, validated event and where it came from."""

    event: Event
    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp_ms: int
    value: bytes | None = field(repr=False, default=None)
    headers: tuple[tuple[str, bytes], ...] = field(repr=False, default=())

    @property
    def position(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(frozen=True)
class Failure:
    """An event the handler could not process; the runtime sends it to the DLQ with ``error``."""

    delivery: Delivery
    error: BaseException
