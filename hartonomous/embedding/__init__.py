"""Embeddings: the encoder port and its adapters, categories, the 3-D projection, the store side.

Importing this package is cheap: torch and sentence-transformers load only when
:func:`load_encoder` (or the adapter class) is called, UMAP only when a projection is fitted or
loaded.
"""

from __future__ import annotations

from hartonomous.config import Settings
from hartonomous.embedding.categories import DEFAULT_LABELS, Category, CategoryClassifier, parse_labels
from hartonomous.embedding.encoder import Encoder, Vectors, normalise
from hartonomous.embedding.exceptions import (
    EmbedderMismatchError,
    EmbeddingError,
    EncoderUnavailableError,
    ProjectionError,
)


def load_encoder(settings: Settings) -> Encoder:
    """The configured encoder: all-MiniLM-L6-v2 from its wheel, on the CPU, no network."""
    from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder(name=settings.embedder_name, batch_size=settings.embed_batch_size)


__all__ = [
    "DEFAULT_LABELS",
    "Category",
    "CategoryClassifier",
    "EmbedderMismatchError",
    "EmbeddingError",
    "Encoder",
    "EncoderUnavailableError",
    "ProjectionError",
    "Vectors",
    "load_encoder",
    "normalise",
    "parse_labels",
]
