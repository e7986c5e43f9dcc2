"""Change capture core: the change model, value typing, and SQL Server CES normalisation.

Shared by the CDC producers (``producers/``), the consumers of ``hartonomous.cdc`` and
``hartonomous inspect-event``.
"""

from __future__ import annotations

from hartonomous.cdc.ces import is_ces, normalize_ces, segment_of
from hartonomous.cdc.exceptions import (
    ChangeCaptureError,
    DataLossError,
    InvalidChangeError,
    MalformedCesEventError,
    SegmentBufferFullError,
    SegmentError,
    SegmentTimeoutError,
    SourceError,
    UnsupportedEventTypeError,
)
from hartonomous.cdc.model import OPS, SYSTEMS, Op, RowChange, SourceInfo, System, canonical_json
from hartonomous.cdc.reader import ChangeReader, Normalized, ReadOutcome, Rejected
from hartonomous.cdc.segments import Abandoned, Assembled, Segment, SegmentAssembler
from hartonomous.cdc.values import Row, Value, from_mssql_text, from_pg_text, from_python

__all__ = [
    "OPS",
    "SYSTEMS",
    "Abandoned",
    "Assembled",
    "ChangeCaptureError",
    "ChangeReader",
    "DataLossError",
    "InvalidChangeError",
    "MalformedCesEventError",
    "Normalized",
    "Op",
    "ReadOutcome",
    "Rejected",
    "Row",
    "RowChange",
    "Segment",
    "SegmentAssembler",
    "SegmentBufferFullError",
    "SegmentError",
    "SegmentTimeoutError",
    "SourceError",
    "SourceInfo",
    "System",
    "UnsupportedEventTypeError",
    "Value",
    "canonical_json",
    "from_mssql_text",
    "from_pg_text",
    "from_python",
    "is_ces",
    "normalize_ces",
    "segment_of",
]
