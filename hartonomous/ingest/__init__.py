"""Document ingestion: the path policy, text extraction, chunking, and the request API."""

from __future__ import annotations

from hartonomous.ingest.chunking import Chunk, check_chunking, chunk_text
from hartonomous.ingest.exceptions import (
    IngestError,
    MalformedRequestError,
    OutsideAllowedRootsError,
    PathRefusedError,
    RemoteUriRefusedError,
    SourceNotFoundError,
    UnsupportedFormatError,
)
from hartonomous.ingest.extract import Extraction, SourceDocument, extract
from hartonomous.ingest.html_text import html_to_text
from hartonomous.ingest.paths import FileSelection, allowed_roots, path_of_uri, select_files, to_file_uri
from hartonomous.ingest.request import build_ingest_request, request_ingest, resolve_kind
from hartonomous.ingest.rows import ChunkRow, chunk_files, content_hash

__all__ = [
    "Chunk",
    "ChunkRow",
    "Extraction",
    "FileSelection",
    "IngestError",
    "MalformedRequestError",
    "OutsideAllowedRootsError",
    "PathRefusedError",
    "RemoteUriRefusedError",
    "SourceDocument",
    "SourceNotFoundError",
    "UnsupportedFormatError",
    "allowed_roots",
    "build_ingest_request",
    "check_chunking",
    "chunk_files",
    "chunk_text",
    "content_hash",
    "extract",
    "html_to_text",
    "path_of_uri",
    "request_ingest",
    "resolve_kind",
    "select_files",
    "to_file_uri",
]
