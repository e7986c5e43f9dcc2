"""CloudEvents core: the event model, the Kafka binding and JSON Schema validation."""

from __future__ import annotations

from hartonomous.events import types
from hartonomous.events.binding import KafkaRecord, Mode, decode, decode_structured, encode
from hartonomous.events.exceptions import (
    EventDecodeError,
    EventError,
    InvalidEventError,
    SchemaValidationError,
    UnknownEventTypeError,
)
from hartonomous.events.model import (
    Event,
    event_from_attributes,
    event_to_dict,
    extensions_of,
    new_event,
)
from hartonomous.events.schema import SchemaRegistry

__all__ = [
    "Event",
    "EventDecodeError",
    "EventError",
    "InvalidEventError",
    "KafkaRecord",
    "Mode",
    "SchemaRegistry",
    "SchemaValidationError",
    "UnknownEventTypeError",
    "decode",
    "decode_structured",
    "encode",
    "event_from_attributes",
    "event_to_dict",
    "extensions_of",
    "new_event",
    "types",
]
