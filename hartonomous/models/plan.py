"""Options of an ingest, what it reports, and which rows of a tensor become weight rows (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hartonomous.config import Settings
from hartonomous.formats import TensorInfo
from hartonomous.models.chunking import ChunkPolicy
from hartonomous.models.scan import VECTOR_MAX_DIM, is_float, sample_rows

# (bytes done, bytes in all, what is being done)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class IngestOptions:
    """How a model is decomposed: the chunking, and the limits of the weight rows."""

    chunking: ChunkPolicy = field(default_factory=ChunkPolicy)
    weight_rows_max_rows: int = 8192
    weight_rows_max_dim: int = 2000
    flush_bytes: int = 32 * 1024 * 1024
    background: bool = True  # write on a second thread while the next tensors are read

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestOptions:
        """The options configured by ``HARTONOMOUS_MODEL_*``."""
        return cls(
            chunking=ChunkPolicy(settings.model_chunking, settings.model_chunk_bytes),
            weight_rows_max_rows=settings.model_weight_rows_max_rows,
            weight_rows_max_dim=settings.model_weight_rows_max_dim,
        )


@dataclass(frozen=True)
class TensorSummary:
    """A stored tensor as announced in ``model.decomposed`` (never its weights)."""

    name: str
    content_hash: str
    layer: str | None
    layer_index: int | None
    component: str
    role: str | None
    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    def as_event(self) -> dict[str, Any]:
        """The item of the event's ``tensors`` list."""
        return {
            "name": self.name, "content_hash": self.content_hash, "layer": self.layer,
            "layer_index": self.layer_index, "component": self.component, "role": self.role,
            "dtype": self.dtype, "shape": list(self.shape), "bytes": self.nbytes,
        }


@dataclass(frozen=True)
class IngestResult:
    """What an ingest stored (or found stored already: ``unchanged``)."""

    model_id: int
    name: str
    format: str
    architecture: str | None
    file_hash: str
    bytes: int
    tensor_bytes: int
    parameter_count: int
    layer_count: int
    chunk_count: int
    new_chunk_bytes: int
    weight_rows: int
    vocab_size: int
    unchanged: bool
    source_uri: str | None = None
    parent: str | None = None
    derivation: str | None = None
    tensors: tuple[TensorSummary, ...] = ()
    seconds: float = 0.0

    @property
    def tensor_count(self) -> int:
        """Number of tensors."""
        return len(self.tensors)

    @property
    def dedup_ratio(self) -> float:
        """Share of the model's tensor bytes that were stored already (1.0: nothing new)."""
        if self.tensor_bytes <= 0:
            return 1.0
        return max(0.0, 1.0 - self.new_chunk_bytes / self.tensor_bytes)


def plan_weight_rows(
    info: TensorInfo, role: str | None, options: IngestOptions
) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """The rows of ``info`` to keep as weight rows, and a note when some or all are left out.

    Only 2-D float or quantized tensors have weight rows. Wider than the configured maximum (and
    pgvector's 16,000): skipped. More rows than the maximum: evenly sampled, except the token
    embedding, whose rows are all kept (they are the vocabulary's embeddings).
    """
    if options.weight_rows_max_rows <= 0 or not is_float(info) or len(info.shape) != 2:
        return None, None
    rows, width = info.shape
    limit = min(options.weight_rows_max_dim, VECTOR_MAX_DIM)
    if width > limit:
        return None, {"tensor": info.name, "rows": rows, "kept": 0, "reason": f"width {width} > {limit}"}
    if role == "token_embedding":
        return np.arange(rows, dtype=np.int64), None
    keep = sample_rows(rows, options.weight_rows_max_rows)
    if keep.size < rows:
        return keep, {"tensor": info.name, "rows": rows, "kept": int(keep.size),
                      "reason": f"sampled: more than {options.weight_rows_max_rows} rows"}
    return keep, None
