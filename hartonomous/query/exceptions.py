"""Errors of the query side: search, inference from stored weights, student extraction."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class QueryError(HartonomousError):
    """Base of the query side's errors."""


class InvalidQueryError(QueryError):
    """The request itself is wrong (empty text, k < 1, unknown mode...); nothing was run."""


class UnknownModelError(QueryError):
    """No stored model (or embedder) has that name."""


class UnsupportedModelError(QueryError):
    """The model is stored but no forward pass here can run its architecture or dtype."""


class MissingWeightsError(QueryError):
    """A tensor the forward pass needs is absent, or its stored bytes do not match its shape."""


class ExtractionError(QueryError):
    """A student cannot be extracted with that selection (layer out of range, zero layers...)."""
