"""Errors of document and model ingestion requests."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class IngestError(HartonomousError):
    """Base of ingestion errors; a request that raises one is refused (it goes to the DLQ)."""


class MalformedRequestError(IngestError):
    """The request cannot be understood (an unparsable URI, a bad option)."""


class PathRefusedError(IngestError):
    """The request names something the ingestion policy does not allow reading."""


class RemoteUriRefusedError(PathRefusedError):
    """Only ``file://`` URIs (or plain paths) are ingested; remote URLs are refused."""


class OutsideAllowedRootsError(PathRefusedError):
    """The path, once symlinks are resolved, is not under any allowed root."""


class SourceNotFoundError(IngestError):
    """The path does not exist (or is neither a regular file nor a directory)."""


class UnsupportedFormatError(IngestError):
    """The file's type is not one the document ingester reads."""
