"""Per-tensor statistics computed block by block with float64 accumulation (pure functions).

Memory stays at one block (about a million elements) on top of the tensor's own view.
Non-finite values are counted and left out of every other statistic. The magnitude importance
of a tensor is the mean absolute value of its finite weights (the criterion of magnitude
pruning, comparable across tensors of different sizes); a neuron's is its row's L2 norm.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

BLOCK_ELEMENTS = 1 << 20
_PIECE = 1 << 16  # elements summarised at once (512 KiB of float64: stays in cache)


@dataclass(frozen=True, slots=True)
class TensorStats:
    """Summary of one tensor's finite values (``nan`` when there are none)."""

    count: int
    nonfinite: int
    mean: float
    std: float
    min: float
    max: float
    l2: float
    mean_abs: float

    @property
    def importance(self) -> float:
        """Magnitude importance: mean absolute value."""
        return self.mean_abs


class RunningStats:
    """Accumulates statistics over blocks (Chan's parallel mean/variance update)."""

    def __init__(self) -> None:
        self.count = 0
        self.nonfinite = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._min = math.inf
        self._max = -math.inf
        self._sumsq = 0.0
        self._sumabs = 0.0

    def update(self, block: np.ndarray) -> None:
        """Fold one block of values in (any size: it is summarised in cache-sized pieces)."""
        flat = np.asarray(block).ravel()
        for start in range(0, flat.size, _PIECE):
            self._update_piece(flat[start : start + _PIECE])

    def _update_piece(self, piece: np.ndarray) -> None:
        # ufunc reductions only: BLAS dot products spin their worker threads, which on a busy
        # machine made this 30x slower; pieces stay in cache, and sum(x^2) = m2 + n*mean^2
        values = piece.astype(np.float64)
        total = float(values.sum())
        if not math.isfinite(total):
            finite = np.isfinite(values)
            self.nonfinite += int(values.size - np.count_nonzero(finite))
            values = values[finite]
            total = float(values.sum())
        n = values.size
        if n == 0:
            return
        mean = total / n
        narrow = piece if n == piece.size else values  # min/max are exact in the stored type
        self._min = min(self._min, float(narrow.min()))
        self._max = max(self._max, float(narrow.max()))
        self._sumabs += float(np.abs(values).sum())
        np.subtract(values, mean, out=values)
        np.multiply(values, values, out=values)
        m2 = float(values.sum())
        self._sumsq += m2 + n * mean * mean
        count = self.count + n
        delta = mean - self._mean
        self._mean += delta * n / count
        self._m2 += m2 + delta * delta * self.count * n / count
        self.count = count

    def result(self) -> TensorStats:
        """The statistics so far."""
        if self.count == 0:
            nan = math.nan
            return TensorStats(0, self.nonfinite, nan, nan, nan, nan, 0.0, nan)
        return TensorStats(
            count=self.count,
            nonfinite=self.nonfinite,
            mean=self._mean,
            std=math.sqrt(max(self._m2, 0.0) / self.count),
            min=self._min,
            max=self._max,
            l2=math.sqrt(self._sumsq),
            mean_abs=self._sumabs / self.count,
        )


def iter_blocks(array: np.ndarray, block_elements: int = BLOCK_ELEMENTS) -> Iterator[np.ndarray]:
    """Flat blocks of ``array`` in row-major order, copying at most one block at a time."""
    if array.ndim == 0:
        yield array.reshape(1)
        return
    if array.flags.c_contiguous:
        flat = array.reshape(-1)
        for start in range(0, flat.size, block_elements):
            yield flat[start : start + block_elements]
        return
    row = max(1, math.prod(array.shape[1:]))
    rows = max(1, block_elements // row)
    for start in range(0, array.shape[0], rows):
        yield np.ascontiguousarray(array[start : start + rows]).reshape(-1)


def tensor_stats(array: np.ndarray, block_elements: int = BLOCK_ELEMENTS) -> TensorStats:
    """Mean, std (population), min, max, L2 and mean |w| of ``array``, streamed in blocks."""
    running = RunningStats()
    for block in iter_blocks(array, block_elements):
        running.update(block)
    return running.result()


def row_norms(array: np.ndarray, block_elements: int = BLOCK_ELEMENTS) -> np.ndarray:
    """L2 norm (float64) of each row of a 2-D tensor: one value per output neuron."""
    if array.ndim != 2:
        raise ValueError(f"row norms need a 2-D tensor, got shape {array.shape}")
    rows = max(1, block_elements // max(1, array.shape[1]))
    out = np.empty(array.shape[0], dtype=np.float64)
    for start in range(0, array.shape[0], rows):
        block = np.asarray(array[start : start + rows], dtype=np.float64)
        out[start : start + rows] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out
