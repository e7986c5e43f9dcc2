"""Errors of change capture. Every one of them is a poison value for the DLQ, not a crash."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class ChangeCaptureError(HartonomousError):
    """Base of every change-capture error."""


class InvalidChangeError(ChangeCaptureError):
    """A change event's ``data`` is not a valid change model."""


class MalformedCesEventError(ChangeCaptureError):
    """A SQL Server CES event that cannot be read: bad envelope, bad nested JSON, bad values."""


class SegmentError(ChangeCaptureError):
    """A split CES event could not be reassembled."""

    def __init__(self, message: str, *, logical_id: str) -> None:
        super().__init__(message)
        self.logical_id = logical_id


class SegmentTimeoutError(SegmentError):
    """Some segments of a logical event never arrived within the timeout."""


class SegmentBufferFullError(SegmentError):
    """The reassembly buffer hit its bound; the oldest incomplete group was evicted."""


class UnsupportedEventTypeError(ChangeCaptureError):
    """An event whose type is neither our change type nor a CES DML event."""


class SourceError(ChangeCaptureError):
    """A change source (database) failed in a way that needs an operator."""


class DataLossError(SourceError):
    """Changes were removed at the source before we read them (CDC cleanup, a lost slot)."""
