"""Value rules for projection rows: what a field must be, and how it is carried to Neo4j.

Required fields are checked strictly (a wrong one raises :class:`ProjectionError` naming the
field); optional ones are tolerated (absent, null or unreadable optional values are left out).
Neo4j properties hold only primitives and lists of one primitive type, so nested objects are
carried as canonical JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from hartonomous.graph.exceptions import ProjectionError

Props = dict[str, Any]
_PRIMITIVES = (str, int, float, bool)


def require_map(data: object, where: str) -> Mapping[str, Any]:
    """``data`` as a mapping, or a ProjectionError naming ``where``."""
    if not isinstance(data, Mapping):
        raise ProjectionError(f"{where} must be an object, got {type(data).__name__}")
    return data


def require_text(data: Mapping[str, Any], field: str, where: str) -> str:
    """A required non-empty string field."""
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise ProjectionError(f"{where}.{field} is required (a non-empty string), got {value!r}")
    return value


def require_id(data: Mapping[str, Any], field: str, where: str) -> str:
    """A required identifier (string or integer), carried as text so both forms match."""
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ProjectionError(f"{where}.{field} is required (a string or integer id), got {value!r}")
    return str(value)


def optional_text(data: Mapping[str, Any], field: str) -> str | None:
    """An optional scalar as text; None when absent, null or an object/list."""
    value = data.get(field)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def optional_int(data: Mapping[str, Any], field: str) -> int | None:
    """An optional integer (booleans are not integers here)."""
    value = data.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def optional_number(data: Mapping[str, Any], field: str) -> float | int | None:
    """An optional JSON number."""
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def id_list(value: object, where: str) -> list[str]:
    """A list of ids (strings or integers) as text; also reads a PostgreSQL array literal
    (``{a,"b c"}``) or a JSON array in text form, which is how CDC carries array columns."""
    if value is None:
        return []
    if isinstance(value, str):
        value = parse_text_array(value, where)
    if not isinstance(value, list):
        raise ProjectionError(f"{where} must be a list, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int)) or item == "":
            raise ProjectionError(f"{where} holds {item!r}: not a string or integer id")
        out.append(str(item))
    return list(dict.fromkeys(out))


def parse_text_array(text: str, where: str) -> list[Any]:
    """A PostgreSQL one-dimensional array literal or a JSON array, as a list."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ProjectionError(f"{where}: not a JSON array: {exc}") from exc
        if not isinstance(parsed, list):
            raise ProjectionError(f"{where}: not a JSON array")
        return parsed
    if not (stripped.startswith("{") and stripped.endswith("}")):
        raise ProjectionError(f"{where}: not an array literal: {text[:80]!r}")
    return _pg_array_items(stripped[1:-1], where)


def _pg_array_items(body: str, where: str) -> list[Any]:
    items: list[Any] = []
    i, n = 0, len(body)
    while i < n:
        if body[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            if i >= n:
                raise ProjectionError(f"{where}: unterminated quoted array element")
            items.append("".join(chars))
            i += 1
        else:
            end = body.find(",", i)
            end = n if end < 0 else end
            word = body[i:end].strip()
            if word.startswith("{"):
                raise ProjectionError(f"{where}: multi-dimensional arrays are not ids")
            items.append(None if word.upper() == "NULL" else word)
            i = end
        if i < n:
            if body[i] != ",":
                raise ProjectionError(f"{where}: malformed array literal near {body[i:i + 20]!r}")
            i += 1
    return [item for item in items if item is not None]


def iso_time(value: object) -> str | None:
    """An ISO-8601 date-time as text Neo4j's ``datetime()`` reads (naive means UTC); None when
    absent or unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def json_text(value: object) -> str:
    """Canonical JSON (sorted keys, compact) of a value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def props(**values: object) -> Props:
    """Node properties from keyword values: None dropped, objects as JSON text, lists of one
    primitive type kept, other lists as JSON text."""
    out: Props = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, _PRIMITIVES):
            out[name] = value
        elif isinstance(value, list) and _homogeneous(value):
            out[name] = value
        else:
            out[name] = json_text(value)
    return out


def _homogeneous(items: list[Any]) -> bool:
    kinds = {type(item) for item in items}
    return len(kinds) <= 1 and all(k in _PRIMITIVES for k in kinds)
