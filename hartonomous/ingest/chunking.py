"""Splitting text into overlapping chunks of about ``size`` characters.

A chunk ends at the best boundary in its second half: a paragraph break, else the end of a
sentence, else a space; only a text with no boundary at all is cut mid-word. The next chunk
starts ``overlap`` characters before the previous end, moved forward to the start of a word.
Every character of the text is in at least one chunk, and chunks come out in text order.

The default size (800 characters, about 200 word pieces) fits all-MiniLM-L6-v2's 256-token
window, so no chunk is silently truncated by the encoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SIZE = 32
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"[.!?;:][\"')\]]*\s|\n")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Chunk:
    """One piece of a text: its position in the sequence and its character span."""

    index: int
    text: str
    start: int
    end: int


def check_chunking(size: int, overlap: int) -> None:
    """Raise ``ValueError`` unless ``MIN_SIZE <= size`` and ``0 <= overlap < size // 2``."""
    if size < MIN_SIZE:
        raise ValueError(f"chunk size {size} is below the minimum {MIN_SIZE}")
    if not 0 <= overlap < size // 2:
        raise ValueError(f"chunk overlap {overlap} must be >= 0 and below half the size ({size // 2})")


def chunk_text(text: str, size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Chunks of ``text`` (stripped); an empty or blank text has none."""
    check_chunking(size, overlap)
    chunks: list[Chunk] = []
    n = len(text)
    start = _skip_space(text, 0)
    while start < n:
        end = n if n - start <= size else _break_point(text, start, start + size)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            chunks.append(Chunk(len(chunks), stripped, start + lead, start + lead + len(stripped)))
        if end >= n:
            break
        start = _next_start(text, start, end, overlap)
    return chunks


def _break_point(text: str, start: int, limit: int) -> int:
    """The end of a chunk beginning at ``start``: the best boundary in ``(mid, limit]``."""
    mid = start + (limit - start) // 2
    window = text[mid:limit]
    for pattern in (_PARAGRAPH, _SENTENCE, _SPACE):
        last = None
        for last in pattern.finditer(window):
            pass
        if last is not None:
            return mid + last.end()
    return limit


def _next_start(text: str, start: int, end: int, overlap: int) -> int:
    if overlap == 0:
        return _skip_space(text, end)
    candidate = max(end - overlap, start + 1)
    # move forward to the start of a word, but never past the end of the previous chunk
    if candidate > 0 and not text[candidate - 1].isspace():
        match = _SPACE.search(text, candidate, end)
        candidate = match.end() if match else candidate
    return _skip_space(text, candidate)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
