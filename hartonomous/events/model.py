"""The CloudEvent model: the ``cloudevents`` SDK's v1.0 event, built and checked our way.

Two SDK behaviours are corrected here:
- the SDK stamps ``time`` = now on any event built without one, even when decoding a received
  event; :func:`event_from_attributes` removes an invented time so a decoded event says what
  was on the wire;
- our extension names are stricter than the SDK's: lowercase alphanumeric, 1 to 20 characters.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeAlias

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.v1.event import CloudEvent

from hartonomous.events.exceptions import InvalidEventError
from hartonomous.events.types import schema_uri

Event: TypeAlias = CloudEvent
EventData: TypeAlias = dict[str, Any] | str | bytes | None

CONTEXT_ATTRIBUTES = frozenset(
    {"id", "source", "type", "specversion", "datacontenttype", "dataschema", "subject", "time"}
)
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
JSON_CONTENT_TYPE = "application/json"


def check_extension_names(names: Mapping[str, Any] | list[str]) -> None:
    """Raise :class:`InvalidEventError` for any extension name that breaks our rule."""
    for name in names:
        if name in CONTEXT_ATTRIBUTES:
            continue
        if not EXTENSION_NAME.match(name):
            raise InvalidEventError(
                f"extension attribute {name!r} must be 1-20 lowercase letters or digits"
            )


def new_event(
    event_type: str,
    data: EventData,
    *,
    source: str,
    subject: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
    extensions: Mapping[str, Any] | None = None,
    dataschema: str | None = None,
) -> Event:
    """Build an event of one of our types; ``dataschema`` points at the type's schema file."""
    attributes: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "specversion": "1.0",
        "time": time or datetime.now(timezone.utc),
        "datacontenttype": JSON_CONTENT_TYPE,
        "dataschema": dataschema or schema_uri(event_type),
    }
    if subject:
        attributes["subject"] = subject
    for name, value in (extensions or {}).items():
        if value is not None:
            attributes[name] = value
    return event_from_attributes(attributes, data)


def event_from_attributes(attributes: Mapping[str, Any], data: EventData) -> Event:
    """Build and validate an event from decoded attributes, without inventing a ``time``."""
    attrs = dict(attributes)
    had_time = "time" in attrs
    check_extension_names(list(attrs))
    try:
        event = CloudEvent(attrs, data)
    except BaseCloudEventException as exc:
        raise InvalidEventError(f"not a valid CloudEvent 1.0: {exc}") from exc
    if not had_time:
        event.get_attributes().pop("time", None)
    return event


def extensions_of(event: Event) -> dict[str, Any]:
    """The extension attributes of an event (everything outside the context attributes)."""
    return {k: v for k, v in event.get_attributes().items() if k not in CONTEXT_ATTRIBUTES}


def event_to_dict(event: Event) -> dict[str, Any]:
    """The structured JSON form of an event as a plain dict (``time`` as RFC 3339)."""
    out: dict[str, Any] = {}
    for name, value in event.get_attributes().items():
        out[name] = format_time(value) if isinstance(value, datetime) else value
    data = event.get_data()
    if isinstance(data, (bytes, bytearray)):
        import base64

        out["data_base64"] = base64.b64encode(bytes(data)).decode("ascii")
    elif data is not None:
        out["data"] = data
    return out


def format_time(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
