"""Errors of the events core."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class EventError(HartonomousError):
    """Base of every event-level error; such an event is poison and goes to the DLQ."""


class EventDecodeError(EventError):
    """The bytes on the wire are not a CloudEvent we can read."""


class InvalidEventError(EventError):
    """A CloudEvent that breaks the spec or our attribute rules."""


class SchemaValidationError(EventError):
    """The event's ``data`` does not satisfy the JSON Schema of its type."""


class UnknownEventTypeError(SchemaValidationError):
    """No schema is registered for the event's type."""
