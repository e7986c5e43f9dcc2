"""Query the database like an LLM: search, inference from stored weights, student extraction.

Importing this package is cheap; each function imports its machinery when called.

- :func:`search` / :func:`search_ensemble`: exact, HNSW and hybrid search, fused ensembles;
- :func:`embed` / :func:`generate`: forward passes over weights read from the database;
- :func:`extract_student`: a smaller model chosen with SQL from a parent's rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hartonomous.query.exceptions import (
    ExtractionError,
    InvalidQueryError,
    MissingWeightsError,
    QueryError,
    UnknownModelError,
    UnsupportedModelError,
)

if TYPE_CHECKING:
    from hartonomous.query.ensemble import search_ensemble
    from hartonomous.query.extract import extract_student
    from hartonomous.query.inference import embed, generate
    from hartonomous.query.search import search

_LAZY = {
    "search": "hartonomous.query.search",
    "search_ensemble": "hartonomous.query.ensemble",
    "embed": "hartonomous.query.inference",
    "generate": "hartonomous.query.inference",
    "extract_student": "hartonomous.query.extract",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hartonomous.query' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ExtractionError",
    "InvalidQueryError",
    "MissingWeightsError",
    "QueryError",
    "UnknownModelError",
    "UnsupportedModelError",
    "embed",
    "extract_student",
    "generate",
    "search",
    "search_ensemble",
]
