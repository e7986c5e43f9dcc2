"""Chunking of tensor bytes for content-addressed storage: per tensor, fixed-size, or
content-defined (CDC), each chunk returned as ``(offset, length, hash)``.

CDC is FastCDC-style: a 32-bit Gear rolling hash (``h = (h << 1) + GEAR[byte]``, so ``h`` at a
byte depends on the 32 bytes ending there), normalised chunking with a harder mask before the
normal size and an easier one after it, and a minimum size skipped outright. The hash is
computed for a whole segment at once in numpy: the Gear sum is built by five doubling steps
(``H_2k(i) = H_k(i) + H_k(i - k) << k``), which gives exactly the byte-by-byte recurrence;
boundaries depend only on content, so an insertion moves only the chunks around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from hartonomous.formats.hashing import DEFAULT_ALGORITHM, hash_bytes
from hartonomous.formats.model import Buffer

DEFAULT_CHUNK_SIZE = 64 * 1024
_WINDOW = 32
_SEGMENT = 256 * 1024
_NORMALIZATION = 1  # FastCDC normalisation level: mask bits +1 before the normal size, -1 after
_GEAR = np.random.default_rng(0x4861_7274_6F6E).integers(0, 1 << 32, 256, dtype=np.uint64).astype(np.uint32)
_GEAR.flags.writeable = False


class ChunkStrategy(str, Enum):
    """How tensor bytes are cut into chunks."""

    TENSOR = "tensor"
    FIXED = "fixed"
    CDC = "cdc"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a byte string: where it starts, how long it is, and its content hash."""

    offset: int
    length: int
    hash: str


def fixed_boundaries(length: int, size: int = DEFAULT_CHUNK_SIZE) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of consecutive ``size``-byte pieces (the last may be shorter)."""
    if size <= 0:
        raise ValueError("chunk size must be positive")
    for offset in range(0, length, size):
        yield offset, min(size, length - offset)


def _gear_segment(seg: np.ndarray, h: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    m = seg.size
    hh = h[:m]
    np.take(_GEAR, seg, out=hh)
    k = 1
    while k < _WINDOW:
        np.left_shift(hh[:-k], k, out=tmp[: m - k])
        np.add(hh[k:], tmp[: m - k], out=hh[k:])
        k *= 2
    return hh


def gear_hashes(data: Buffer) -> np.ndarray:
    """The 32-bit Gear hash at every byte of ``data`` (for tests and tuning; O(n) memory)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return _gear_segment(arr, np.empty(arr.size, np.uint32), np.empty(arr.size, np.uint32)).copy()


def cdc_boundaries(
    data: Buffer, avg_size: int = DEFAULT_CHUNK_SIZE, min_size: int | None = None, max_size: int | None = None
) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of content-defined chunks averaging about ``avg_size`` (a power of two)."""
    if avg_size < 256 or avg_size & (avg_size - 1):
        raise ValueError("avg_size must be a power of two of at least 256")
    bits = avg_size.bit_length() - 1
    lo_size = avg_size // 4 if min_size is None else min_size
    hi_size = avg_size * 4 if max_size is None else max_size
    if not _WINDOW <= lo_size <= avg_size <= hi_size:
        raise ValueError("need 32 <= min_size <= avg_size <= max_size")
    strong, weak = np.uint32(1 << (32 - bits - _NORMALIZATION)), np.uint32(1 << (32 - bits + _NORMALIZATION))
    arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    h, tmp = np.empty(_SEGMENT + _WINDOW, np.uint32), np.empty(_SEGMENT + _WINDOW, np.uint32)
    pos = np.empty(0, np.int64)  # candidate boundaries (byte index + 1), ascending
    is_strong = np.empty(0, bool)
    computed = start = 0
    while start < n:
        if n - start <= lo_size:
            yield start, n - start
            return
        lo_b, norm_b, hi_b = start + lo_size, start + avg_size, min(start + hi_size, n)
        i, j = np.searchsorted(pos, [lo_b, norm_b])
        hit = np.flatnonzero(is_strong[i:j])
        cut = int(pos[i + hit[0]]) if hit.size else 0
        if not cut and computed >= min(norm_b, n):
            k, last = np.searchsorted(pos, [norm_b, hi_b])
            cut = int(pos[k]) if k < last else (hi_b if computed >= hi_b else 0)
        if cut:
            yield start, cut - start
            start = cut
            continue
        ctx = max(0, computed - (_WINDOW - 1))
        seg_end = min(n, computed + _SEGMENT)
        hh = _gear_segment(arr[ctx:seg_end], h, tmp)[computed - ctx :]
        found = np.flatnonzero(hh < weak)
        keep = pos >= start
        pos = np.concatenate([pos[keep], found + (computed + 1)])
        is_strong = np.concatenate([is_strong[keep], hh[found] < strong])
        computed = seg_end


def chunk_bytes(
    data: Buffer,
    strategy: ChunkStrategy | str = ChunkStrategy.CDC,
    *,
    size: int = DEFAULT_CHUNK_SIZE,
    algorithm: str = DEFAULT_ALGORITHM,
) -> list[Chunk]:
    """Cut ``data`` by ``strategy`` (``size`` is the fixed size or the CDC average) and hash each piece."""
    view = memoryview(data).cast("B")
    strategy = ChunkStrategy(strategy)
    if strategy is ChunkStrategy.TENSOR:
        spans: Iterator[tuple[int, int]] = iter([(0, len(view))])
    elif strategy is ChunkStrategy.FIXED:
        spans = fixed_boundaries(len(view), size)
    else:
        spans = cdc_boundaries(view, size)
    return [Chunk(off, length, hash_bytes(view[off : off + length], algorithm)) for off, length in spans]
