"""Errors of the embedding area (encoders, embedders, projections)."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class EmbeddingError(HartonomousError):
    """Base of the embedding area's errors."""


class EncoderUnavailableError(EmbeddingError):
    """The encoder's model files cannot be found or loaded (no network is ever tried)."""


class EmbedderMismatchError(EmbeddingError):
    """An embedder is registered under this name with another dimension."""


class ProjectionError(EmbeddingError):
    """A 3-D projection cannot be fitted, loaded or applied."""
