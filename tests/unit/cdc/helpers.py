"""Builders for split CES events (the segment shapes of reference/sqlserver-ces.md)."""

from __future__ import annotations

from typing import Any


def split(event: dict[str, Any], parts: int, *, base: int = 0, old_shape: bool = False) -> list[dict[str, Any]]:
    """Cut ``event['data']`` into ``parts`` segments sharing its ``logicalid``."""
    text: str = event["data"]
    size = -(-len(text) // parts)
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    assert len(pieces) == parts
    segments = []
    for i, piece in enumerate(pieces):
        seg = {k: v for k, v in event.items() if k not in {"segmentindex", "finalsegment", "data"}}
        seg["id"] = f"{event['id']}-{i}"
        if old_shape:
            seg["splitindex"] = i + base
            seg["splittotalcnt"] = parts
        else:
            seg["segmentindex"] = i + base
            seg["finalsegment"] = i == parts - 1
        seg["data"] = piece
        segments.append(seg)
    return segments
