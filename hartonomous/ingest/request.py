"""The ingestion request: ``com.hartonomous.ingest.requested.v1`` on ``hartonomous.commands``.

Python API::

    from hartonomous.ingest import request_ingest
    event = await request_ingest(settings, "docs/", kind="document", category="manuals")

``hartonomous emit ingest PATH_OR_URI`` calls the same function. The path policy is applied
here too, so a refused path fails at once; the enricher applies it again (it is the one that
reads the files), so a request written by any other producer is held to the same rule.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from hartonomous.bus import EventPublisher
from hartonomous.config import Settings
from hartonomous.events import Event, new_event, types
from hartonomous.ingest.chunking import check_chunking
from hartonomous.ingest.exceptions import MalformedRequestError
from hartonomous.ingest.paths import allowed_roots, check_allowed, path_of_uri, to_file_uri

Kind = Literal["document", "model", "auto"]
KINDS: tuple[str, ...] = ("document", "model", "auto")
MODEL_SUFFIXES = frozenset({".safetensors", ".gguf", ".onnx", ".pt", ".pth", ".bin"})
SDK_SOURCE = "/hartonomous/sdk"


def as_uri(target: str | os.PathLike[str]) -> str:
    """A URI for a path or URI given by a user (a path becomes an absolute ``file://`` URI)."""
    text = os.fspath(target)
    if "://" in text or text.startswith("file:"):
        return text
    return to_file_uri(text)


def resolve_kind(path: Path, kind: str) -> str:
    """``document`` or ``model``: ``auto`` looks for model files (by extension)."""
    if kind != "auto":
        return kind
    if path.is_file():
        return "model" if path.suffix.lower() in MODEL_SUFFIXES else "document"
    candidates = list(path.glob("*")) + list(path.glob("*/*"))
    return "model" if any(p.suffix.lower() in MODEL_SUFFIXES for p in candidates if p.is_file()) else "document"


def build_ingest_request(
    target: str | os.PathLike[str],
    *,
    kind: str = "auto",
    category: str | None = None,
    name: str | None = None,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    source: str = SDK_SOURCE,
) -> Event:
    """The request event (no policy check; see :func:`check_request_target`)."""
    if kind not in KINDS:
        raise MalformedRequestError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    uri = as_uri(target)
    options: dict[str, Any] = {}
    if chunk_size is not None:
        options["chunk_size"] = chunk_size
    if chunk_overlap is not None:
        options["chunk_overlap"] = chunk_overlap
    if options:
        try:
            check_chunking(options.get("chunk_size", 800), options.get("chunk_overlap", 0))
        except ValueError as exc:
            raise MalformedRequestError(str(exc)) from exc
    data: dict[str, Any] = {"uri": uri, "kind": kind}
    if category:
        data["category"] = category
    if name:
        data["name"] = name
    if options:
        data["options"] = options
    return new_event(types.INGEST_REQUESTED, data, source=source, subject=uri,
                     extensions={"partitionkey": uri})


def check_request_target(settings: Settings, uri: str) -> Path:
    """Apply the path policy to a request's URI now; the resolved path, or a refusal."""
    return check_allowed(path_of_uri(uri), allowed_roots(settings))


async def request_ingest(
    settings: Settings,
    target: str | os.PathLike[str],
    *,
    kind: str = "auto",
    category: str | None = None,
    name: str | None = None,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    publisher: EventPublisher | None = None,
    check: bool = True,
) -> Event:
    """Publish an ingestion request to the commands topic; return the event once Kafka acked it.

    ``check`` applies the path policy before publishing (a refusal raises
    :class:`~hartonomous.ingest.exceptions.PathRefusedError`); the consumer checks again.
    """
    event = build_ingest_request(target, kind=kind, category=category, name=name,
                                 chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    uri = as_uri(target)
    if check:
        check_request_target(settings, uri)
    own = publisher is None
    pub = publisher or EventPublisher(settings)
    if own:
        await pub.start()
    try:
        await pub.publish(settings.topics.commands, event, key=uri)
    finally:
        if own:
            await pub.stop()
    return event
