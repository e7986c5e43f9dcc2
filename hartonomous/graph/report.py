"""Plain-text rendering of audit results: aligned tables and an indented lineage tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_CELL = 60


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """An aligned text table of ``columns`` (a header, a rule, one line per row)."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def render_lineage(rows: Sequence[dict[str, Any]]) -> str:
    """The lineage edges as a tree under each root: ``REL -> Label key [hash, uri, row, time]``."""
    if not rows:
        return "(no such node in the graph)"
    out: list[str] = []
    children: dict[tuple[str, str], list[dict[str, Any]]] = {}
    roots: list[dict[str, Any]] = []
    for row in rows:
        if row["depth"] == 0:
            roots.append(row)
        else:
            children.setdefault((row["from_label"], row["from_key"]), []).append(row)
    for root in roots:
        out.append(f"{root['to_label']} {root['to_key']}{_details(root)}")
        _walk(children, (root["to_label"], root["to_key"]), 1, {(root["to_label"], root["to_key"])}, out)
    return "\n".join(out)


def _walk(children: dict[tuple[str, str], list[dict[str, Any]]], node: tuple[str, str], level: int,
          seen: set[tuple[str, str]], out: list[str]) -> None:
    for edge in children.get(node, []):
        target = (edge["to_label"], edge["to_key"])
        rel = edge["rel"] + (f" {{method: {edge['method']}}}" if edge.get("method") else "")
        again = " (see above)" if target in seen else ""
        out.append(f"{'  ' * level}-[{rel}]-> {target[0]} {target[1]}{_details(edge) if not again else again}")
        if not again:
            seen.add(target)
            _walk(children, target, level + 1, seen, out)


def _details(row: dict[str, Any]) -> str:
    parts = [f"{name}={row[name]}" for name in ("what", "hash", "uri", "row_key", "time") if row.get(name)]
    return f"  [{', '.join(parts)}]" if parts else ""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
