"""From a request's files to ``documents`` rows: extract, chunk, hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hartonomous.ingest.chunking import chunk_text
from hartonomous.ingest.exceptions import UnsupportedFormatError
from hartonomous.ingest.extract import extract


MAX_FILE_BYTES = 256 * 1024 * 1024
"""A document file larger than this is reported, not read (it would be held in memory whole)."""


def content_hash(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text: the same value the ``documents`` trigger stores."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChunkRow:
    """One ``documents`` row to insert."""

    source_uri: str
    title: str | None
    content: str
    content_hash: str
    category: str | None
    metadata: dict[str, Any]
    chunk_index: int


@dataclass
class ChunkedFiles:
    """Rows of every file of a request, plus the files and parts that could not be read."""

    rows: list[ChunkRow] = field(default_factory=list)
    files: int = 0
    problems: list[str] = field(default_factory=list)


def chunk_files(
    files: list[Path],
    *,
    size: int,
    overlap: int,
    category: str | None,
    request_id: str,
) -> ChunkedFiles:
    """Extract and chunk each file; identical chunks (same hash) are kept once, first wins."""
    out = ChunkedFiles()
    seen: set[str] = set()
    for path in files:
        file_bytes = path.stat().st_size
        if file_bytes > MAX_FILE_BYTES:
            out.problems.append(f"{path.name}: {file_bytes} bytes is over the {MAX_FILE_BYTES}-byte limit")
            continue
        try:
            extraction = extract(path)
        except UnsupportedFormatError as exc:
            out.problems.append(str(exc))
            continue
        out.files += 1
        out.problems.extend(extraction.problems)
        for row in _rows_of(path, extraction.documents, size, overlap, category, request_id):
            if row.content_hash not in seen:
                seen.add(row.content_hash)
                out.rows.append(row)
    return out


def _rows_of(
    path: Path, documents: list[Any], size: int, overlap: int, category: str | None, request_id: str
) -> Iterator[ChunkRow]:
    file_uri = path.as_uri()
    for doc in documents:
        source_uri = f"{file_uri}#line={doc.part}" if doc.part else file_uri
        chunks = chunk_text(doc.text, size, overlap)
        for chunk in chunks:
            metadata: dict[str, Any] = {
                **doc.metadata,
                "format": doc.format,
                "file": path.name,
                "span": [chunk.start, chunk.end],
                "chunks": len(chunks),
                "ingest_event": request_id,
            }
            yield ChunkRow(
                source_uri=source_uri,
                title=doc.title,
                content=chunk.text,
                content_hash=content_hash(chunk.text),
                category=category,
                metadata=metadata,
                chunk_index=chunk.index,
            )
