"""Errors of the bus runtime."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class BusError(HartonomousError):
    """Base of the bus runtime's errors."""


class TransientError(BusError):
    """Raised by a handler or sink when retrying the same batch later may succeed
    (a database restarting, a deadlock). The runtime retries with backoff, never commits."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RetriesExhaustedError(BusError):
    """A transient failure outlasted the retry budget; the batch stays uncommitted."""


class PublishError(BusError):
    """Kafka did not acknowledge a record."""
