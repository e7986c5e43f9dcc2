"""Query the database like an LLM: search, inference from stored weights, student extraction."""

from __future__ import annotations

from hartonomous.query.exceptions import (
    ExtractionError,
    InvalidQueryError,
    MissingWeightsError,
    QueryError,
    UnknownModelError,
    UnsupportedModelError,
)

__all__ = [
    "ExtractionError",
    "InvalidQueryError",
    "MissingWeightsError",
    "QueryError",
    "UnknownModelError",
    "UnsupportedModelError",
]
