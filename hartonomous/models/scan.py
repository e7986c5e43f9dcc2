"""One pass over a tensor's values: statistics, row norms, and the rows kept as weight rows.

A tensor is seen as ``rows x width`` (``shape[0]`` output neurons of ``prod(shape[1:])``
weights; a 1-D tensor is one row) and read in blocks of about a million values, so memory stays
at one block on top of the tensor's mapped bytes plus the rows kept. Block-quantized GGUF
tensors are dequantized block by block with ``gguf.quants``; BF16 and F8 are widened to
``float32``. Pure functions over :class:`~hartonomous.formats.ModelFile` buffers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from gguf import GGMLQuantizationType
from gguf import quants as gguf_quants

from hartonomous.formats import TensorInfo, TensorStats
from hartonomous.formats import dtypes as fdtypes
from hartonomous.formats.model import Buffer
from hartonomous.formats.stats import RunningStats

BLOCK_ELEMENTS = 1 << 20
VECTOR_MAX_DIM = 16000  # pgvector's vector type


def is_float(info: TensorInfo) -> bool:
    """Float or block-quantized (dequantizable) values: the ones that are weights."""
    return info.is_quantized or info.dtype in fdtypes.FLOAT_DTYPES


def as_rows(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(rows, width)`` of a tensor: ``shape[0]`` by the product of the rest (a scalar is 1x1)."""
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return 1, shape[0]
    return shape[0], math.prod(shape[1:])


def value_blocks(info: TensorInfo, raw: Buffer, block_elements: int = BLOCK_ELEMENTS) -> Iterator[tuple[int, np.ndarray]]:
    """``(first_row, block)`` over the rows: native arrays for plain types, ``float32`` otherwise."""
    rows, width = as_rows(info.shape)
    if rows == 0 or width == 0:
        return
    per = max(1, block_elements // width)
    if info.is_quantized:
        qtype = GGMLQuantizationType[str(info.quant_type)]
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, info.nbytes // rows)
        for start in range(0, rows, per):
            yield start, np.asarray(gguf_quants.dequantize(blocks[start : start + per], qtype)).reshape(-1, width)
        return
    arr = fdtypes.decode(raw, info.dtype, (rows, width), as_float=False)
    widen = info.dtype in fdtypes.FLOAT_DTYPES and not fdtypes.is_native(info.dtype)
    for start in range(0, rows, per):
        block = arr[start : start + per]
        yield start, fdtypes.to_float32(block, info.dtype) if widen else block


def sample_rows(rows: int, max_rows: int) -> np.ndarray:
    """Row indices to keep: all of them, or ``max_rows`` evenly spaced (first and last included)."""
    if max_rows <= 0:
        return np.empty(0, dtype=np.int64)
    if rows <= max_rows:
        return np.arange(rows, dtype=np.int64)
    return np.unique(np.linspace(0, rows - 1, max_rows).round().astype(np.int64))


@dataclass(frozen=True)
class KeptRows:
    """The rows of a tensor stored as weight rows: indices, float32 vectors, norms, importance."""

    indices: np.ndarray
    vectors: np.ndarray
    norms: np.ndarray
    importance: np.ndarray

    @property
    def dim(self) -> int:
        """The width of each vector."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return int(self.indices.size)


@dataclass(frozen=True)
class Scan:
    """What one pass over a tensor found."""

    stats: TensorStats
    rows: KeptRows | None


def scan_tensor(info: TensorInfo, raw: Buffer, keep: np.ndarray | None = None,
                block_elements: int = BLOCK_ELEMENTS) -> Scan:
    """Statistics of the tensor and, if ``keep`` (sorted row indices) is given, those rows.

    A kept row's importance is its L2 norm over the mean norm of all rows of the tensor.
    """
    running = RunningStats()
    n_rows, width = as_rows(info.shape)
    want = keep is not None and keep.size > 0 and is_float(info)
    norms = np.empty(n_rows if want else 0, dtype=np.float64)
    vectors = np.empty((keep.size if want and keep is not None else 0, width), dtype=np.float32)
    filled = 0
    for start, block in value_blocks(info, raw, block_elements):
        running.update(block)
        if not want or keep is None:
            continue
        wide = np.asarray(block, dtype=np.float32)
        norms[start : start + len(wide)] = np.sqrt(np.einsum("ij,ij->i", wide, wide, dtype=np.float64))
        lo, hi = np.searchsorted(keep, [start, start + len(wide)])
        if hi > lo:
            vectors[filled : filled + hi - lo] = wide[keep[lo:hi] - start]
            filled += int(hi - lo)
    stats = running.result()
    if not want or keep is None:
        return Scan(stats, None)
    finite_norms = norms[np.isfinite(norms)]
    mean_norm = float(finite_norms.mean()) if finite_norms.size else 0.0
    kept_norms = norms[keep]
    ok = np.isfinite(kept_norms)  # pgvector refuses NaN and inf: such rows are left out
    importance = kept_norms[ok] / mean_norm if mean_norm > 0 else np.zeros(int(ok.sum()))
    return Scan(stats, KeptRows(keep[ok], vectors[ok], kept_norms[ok], importance))
