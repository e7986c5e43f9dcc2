"""``hartonomous inspect-event FILE [FILE ...]``: show the change each event carries.

Each FILE (``-`` for stdin) holds one JSON value (an event, or an array of events) or JSON
Lines. An event is:

- a structured CloudEvent (an object with ``specversion``): ours
  (``com.hartonomous.cdc.row.changed.v1``) or SQL Server CES (``com.microsoft.SQL.CES.DML.V1``);
- a Kafka record written as JSON, for binary mode or when the headers matter::

      {"headers": {"ce_type": "...", "content-type": "..."} | [["name", "value"], ...],
       "key": "...",                       # optional, ignored
       "value": "<text>" | {...} | null}   # or "value_base64": "<base64>"

CES segments are reassembled across all inputs. One normalised change per complete logical
event is printed to stdout as JSON Lines (``op``, ``source``, ``key``, ``before``, ``after``).
Every bad input is reported as one line ``FILE[:LINE]: reason`` on stderr and the exit code is
2; the changes that could be read are still printed.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from hartonomous.cdc import ChangeReader, Normalized
from hartonomous.events import EventError, decode, decode_structured

EXIT_INVALID = 2


class InputError(Exception):
    """A file or line that is not an event the pipeline accepts."""


def iter_json_values(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield ``(location, value)`` for a JSON file (object or array) or a JSON Lines file."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror if isinstance(exc, OSError) else exc}") from exc
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    else:
        if isinstance(whole, list):
            for i, item in enumerate(whole):
                yield f"{path}[{i}]", item
        else:
            yield str(path), whole
        return
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError(f"{path}: empty file")
    for number, line in lines:
        where = f"{path}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            yield where, InputError(f"{where}: not JSON (nor JSON Lines): {exc.msg} at column {exc.colno}")


def to_event_parts(value: Any) -> tuple[dict[str, Any], Any]:
    """Attributes and data of one JSON value, in either accepted shape."""
    if not isinstance(value, dict):
        raise InputError(f"expected a JSON object, got {type(value).__name__}")
    if "specversion" in value:
        event = decode_structured(value)
    elif "headers" in value or "value" in value or "value_base64" in value:
        raw, headers = _record_value(value), _record_headers(value.get("headers") or {})
        try:
            event = decode(raw, headers)
        except EventError:
            # a structured event whose content-type says plain JSON (some Event Hubs clients)
            if raw is None or not any(n.lower() == "content-type" for n, _ in headers) or b'"specversion"' not in raw:
                raise
            event = decode_structured(raw)
    else:
        raise InputError("neither a CloudEvent (no 'specversion') nor a Kafka record ({'headers', 'value'})")
    return dict(event.get_attributes()), event.get_data()


def _record_headers(headers: Any) -> list[tuple[str, bytes]]:
    pairs = headers.items() if isinstance(headers, dict) else headers
    try:
        return [(str(name), str(val).encode("utf-8")) for name, val in pairs]
    except (TypeError, ValueError) as exc:
        raise InputError("'headers' must be an object or a list of [name, value] pairs") from exc


def _record_value(record: dict[str, Any]) -> bytes | None:
    if "value_base64" in record:
        try:
            return base64.b64decode(record["value_base64"], validate=True)
        except (binascii.Error, TypeError) as exc:
            raise InputError(f"'value_base64' is not base64: {exc}") from exc
    value = record.get("value")
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


def inspect_files(paths: list[Path], out: Any, err: Any) -> int:
    """Normalise every event in ``paths``; print changes to ``out``, errors to ``err``."""
    reader = ChangeReader()
    failed = False

    def report(message: str) -> None:
        nonlocal failed
        failed = True
        print(" ".join(message.split()), file=err)

    for path in paths:
        try:
            for where, value in iter_json_values(path):
                if isinstance(value, InputError):
                    report(str(value))
                    continue
                try:
                    attributes, data = to_event_parts(value)
                except (InputError, EventError) as exc:
                    report(f"{where}: {exc}")
                    continue
                for outcome in reader.feed_parts(attributes, data, raw=where):
                    if isinstance(outcome, Normalized):
                        print(json.dumps(outcome.change.to_data(), ensure_ascii=False), file=out)
                    else:
                        report(f"{', '.join(map(str, outcome.raws))}: {outcome.error}")
        except InputError as exc:
            report(str(exc))
    for rejected in reader.drain():
        report(f"{', '.join(map(str, rejected.raws))}: {rejected.error}")
    return EXIT_INVALID if failed else 0


@click.command("inspect-event")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(files: tuple[Path, ...]) -> None:
    """Print the normalised change of each CloudEvent in FILES (JSON or JSON Lines)."""
    code = inspect_files(list(files), sys.stdout, sys.stderr)
    if code:
        raise SystemExit(code)
