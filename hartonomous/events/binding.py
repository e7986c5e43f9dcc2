"""Kafka protocol binding for CloudEvents.

- Structured mode (``content-type: application/cloudevents+json``, the whole event in the value)
  is what we write by default.
- Binary mode (attributes in ``ce_*`` headers, ``data`` in the value) is written on request and
  always read.
- A message with no CloudEvents headers whose value is a JSON object carrying ``specversion`` is
  read as structured: some producers (Event Hubs clients among them) omit ``content-type`` or
  label the event ``application/json``.

Header values are written in CloudEvents' canonical string forms: booleans as ``true``/``false``
(the SDK would write Python's ``True``), times as RFC 3339.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, unquote

from dateutil.parser import isoparse

from hartonomous.events.exceptions import EventDecodeError, InvalidEventError
from hartonomous.events.model import Event, event_from_attributes, event_to_dict, format_time

Mode = Literal["structured", "binary"]
Headers = Sequence[tuple[str, bytes]]

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
CE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on the wire: key, value and headers (aiokafka's shapes)."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def encode(event: Event, *, key: str | bytes | None = None, mode: Mode = "structured") -> KafkaRecord:
    """Serialise an event for Kafka. ``key`` defaults to the ``partitionkey`` extension."""
    if key is None:
        partitionkey = event.get_extension("partitionkey")
        key = None if partitionkey is None else str(partitionkey)
    key_bytes = key.encode("utf-8") if isinstance(key, str) else key
    if mode == "structured":
        value = json.dumps(event_to_dict(event), separators=(",", ":"), default=_json_default)
        return KafkaRecord(
            key_bytes, value.encode("utf-8"), [(CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE.encode())]
        )
    if mode == "binary":
        return _encode_binary(event, key_bytes)
    raise ValueError(f"unknown content mode {mode!r}")


def decode(value: bytes | None, headers: Headers = ()) -> Event:
    """Read a Kafka message (either mode) into an event, or raise :class:`EventDecodeError`."""
    header_map = {name.lower(): raw for name, raw in headers}
    content_type = _header_text(header_map.get(CONTENT_TYPE_HEADER))
    if CE_PREFIX + "specversion" in header_map:
        return _decode_binary(value, header_map, content_type)
    if value is None:
        raise EventDecodeError("empty message value (tombstone) is not a CloudEvent")
    if content_type and not (content_type.startswith("application/cloudevents") or _is_json(content_type)):
        raise EventDecodeError(
            f"content-type {content_type!r} with no ce_ headers is neither structured nor binary"
        )
    # A plain JSON content type with no ce_ headers: some producers (Event Hubs clients, SQL
    # Server CES) label a structured event application/json; it is structured if it says so.
    return decode_structured(value)


def decode_structured(value: bytes | str | dict[str, Any]) -> Event:
    """Read the structured JSON form (bytes, text or an already parsed object)."""
    if isinstance(value, dict):
        obj = dict(value)
    else:
        try:
            obj = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EventDecodeError(f"message value is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise EventDecodeError(f"a structured CloudEvent is a JSON object, got {type(obj).__name__}")
    if "specversion" not in obj:
        raise EventDecodeError("JSON object has no 'specversion': not a CloudEvent")
    data: Any = obj.pop("data", None)
    data_base64 = obj.pop("data_base64", None)
    if data is None and data_base64 is not None:
        try:
            data = base64.b64decode(data_base64, validate=True)
        except ValueError as exc:
            raise EventDecodeError(f"data_base64 is not base64: {exc}") from exc
    if "time" in obj:
        obj["time"] = _parse_time(obj["time"])
    try:
        return event_from_attributes(obj, data)
    except InvalidEventError as exc:
        raise EventDecodeError(str(exc)) from exc


def _encode_binary(event: Event, key: bytes | None) -> KafkaRecord:
    headers: list[tuple[str, bytes]] = []
    for name, attr in event.get_attributes().items():
        if attr is None:
            continue
        if name == "datacontenttype":
            headers.append((CONTENT_TYPE_HEADER, str(attr).encode("utf-8")))
        else:
            headers.append((CE_PREFIX + name, quote(_canonical(attr), safe="").encode("ascii")))
    data = event.get_data()
    if data is None:
        value = b""
    elif isinstance(data, (bytes, bytearray)):
        value = bytes(data)
    elif isinstance(data, str) and not _is_json(event.get_datacontenttype()):
        value = data.encode("utf-8")
    else:
        value = json.dumps(data, separators=(",", ":"), default=_json_default).encode("utf-8")
    return KafkaRecord(key, value, headers)


def _decode_binary(value: bytes | None, headers: dict[str, bytes], content_type: str | None) -> Event:
    attributes: dict[str, Any] = {}
    for name, raw in headers.items():
        if not name.startswith(CE_PREFIX):
            continue
        text = unquote(_header_text(raw) or "")
        attributes[name[len(CE_PREFIX):]] = _parse_time(text) if name == CE_PREFIX + "time" else text
    if content_type:
        attributes["datacontenttype"] = content_type
    data: Any = None
    if value:
        if _is_json(content_type):
            try:
                data = json.loads(value)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise EventDecodeError(f"binary-mode data is not JSON: {exc}") from exc
        else:
            data = value
    try:
        return event_from_attributes(attributes, data)
    except InvalidEventError as exc:
        raise EventDecodeError(str(exc)) from exc


def _canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def _parse_time(value: Any) -> datetime:
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text)  # fast path: covers RFC 3339 incl. "Z" on 3.11
    except ValueError:
        try:
            parsed = isoparse(text)
        except ValueError as exc:
            raise EventDecodeError(f"'time' is not RFC 3339: {value!r}") from exc
    if parsed.tzinfo is None:
        raise EventDecodeError(f"'time' has no timezone: {value!r}")
    return parsed


def _header_text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventDecodeError(f"header is not UTF-8: {exc}") from exc


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # CloudEvents: absent datacontenttype means application/json
    base = content_type.split(";", 1)[0].strip().lower()
    return base.endswith("/json") or base.endswith("+json")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
