"""Reading one file into source documents (text plus title and metadata), by format.

- ``.txt``, ``.text``: the text; title = the file name.
- ``.md``, ``.markdown``: the text as written; title = the first ``# heading`` if any.
- ``.html``, ``.htm``: text extracted with ``html.parser`` (see :mod:`.html_text`); title = ``<title>``.
- ``.jsonl``, ``.ndjson``: one document per JSON object line; the text is the first present
  field of :data:`TEXT_FIELDS`, the title the first of :data:`TITLE_FIELDS`, and the other
  scalar fields become metadata. A line that is not an object with text is reported, not read.
Files are decoded as UTF-8 (a BOM is accepted); a file that is not UTF-8 is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hartonomous.ingest.exceptions import UnsupportedFormatError
from hartonomous.ingest.html_text import html_to_text

TEXT_FIELDS = ("text", "content", "body", "gloss", "description", "definition")
TITLE_FIELDS = ("title", "name", "headword", "id")
FORMATS: dict[str, str] = {
    ".txt": "text", ".text": "text",
    ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
}
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class SourceDocument:
    """One document read from a file, before chunking; ``part`` numbers JSONL records."""

    text: str
    title: str | None
    format: str
    part: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Extraction:
    """What one file gave: documents, and problems with parts of it (e.g. bad JSONL lines)."""

    documents: list[SourceDocument] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def format_of(path: Path) -> str:
    """The document format of a path by its extension; refuse the ones we do not read."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"{path.name}: unsupported type {path.suffix or '(none)'}; "
            f"documents are {', '.join(sorted(FORMATS))}"
        )
    return fmt


def extract(path: Path) -> Extraction:
    """Read one file into source documents (see the module docstring for each format)."""
    fmt = format_of(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFormatError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    out = Extraction()
    if fmt == "jsonl":
        for item in _jsonl(raw, path.name, out.problems):
            out.documents.append(item)
        return out
    if fmt == "html":
        title, text = html_to_text(raw)
    elif fmt == "markdown":
        heading = _MD_HEADING.search(raw)
        title, text = (heading.group(1) if heading else path.stem), raw
    else:
        title, text = path.stem, raw
    text = text.strip()
    if text:
        out.documents.append(SourceDocument(text, title or path.stem, fmt))
    return out


def _jsonl(raw: str, name: str, problems: list[str]) -> Iterator[SourceDocument]:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{name}:{number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{name}:{number}: not a JSON object")
            continue
        text = next((record[k] for k in TEXT_FIELDS if isinstance(record.get(k), str) and record[k].strip()), None)
        if text is None:
            problems.append(f"{name}:{number}: no text field (one of {', '.join(TEXT_FIELDS)})")
            continue
        title = next((str(record[k]) for k in TITLE_FIELDS if record.get(k) not in (None, "")), None)
        metadata = {
            k: v for k, v in record.items()
            if k not in TEXT_FIELDS and isinstance(v, (str, int, float, bool)) and v is not None
        }
        yield SourceDocument(text.strip(), title, "jsonl", part=number, metadata=metadata)
