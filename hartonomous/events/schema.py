"""JSON Schema validation of event ``data``, one schema file per event type in ``schemas/``.

Valid events take a compiled fast path (``fastjsonschema``, about 10x faster than ``jsonschema``
on our payloads, measured in ``bench/bus_throughput.py``); only an event that fails is re-checked
with ``jsonschema`` to report the most relevant error with its path.
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from hartonomous.events.exceptions import SchemaValidationError, UnknownEventTypeError
from hartonomous.events.model import Event


class SchemaRegistry:
    """Loads every ``schemas/*.json`` whose ``$id`` names an event type, and validates."""

    def __init__(self, schemas_dir: Path) -> None:
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, Callable[[Any], Any]] = {}
        self._uris: dict[str, str] = {}
        for path in sorted(schemas_dir.glob("*.json")):
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            event_type = schema.get("x-event-type")
            if not event_type:
                continue
            self._validators[event_type] = Draft202012Validator(schema)
            self._fast[event_type] = fastjsonschema.compile(schema)
            self._uris[event_type] = schema["$id"]

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(sorted(self._validators))

    def schema_uri(self, event_type: str) -> str:
        try:
            return self._uris[event_type]
        except KeyError:
            raise UnknownEventTypeError(f"no schema registered for type {event_type!r}") from None

    def validate(self, event: Event) -> None:
        """Raise :class:`SchemaValidationError` naming the first failing path and the reason."""
        event_type = event.get_type()
        validator = self._validators.get(event_type)
        if validator is None:
            raise UnknownEventTypeError(f"no schema registered for type {event_type!r}")
        declared = event.get_dataschema()
        if declared is not None and declared != self._uris[event_type]:
            raise SchemaValidationError(
                f"dataschema {declared!r} does not match {self._uris[event_type]!r} for {event_type}"
            )
        try:
            self._fast[event_type](event.get_data())
            return
        except fastjsonschema.JsonSchemaException:
            pass
        error = best_match(validator.iter_errors(event.get_data()))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(data)"
            raise SchemaValidationError(f"{event_type} {where}: {error.message}")
