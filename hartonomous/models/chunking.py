"""How tensor bytes are cut into content-addressed chunks: row-aligned groups (the default).

Chosen by measurement (``bench/model_ingest.py``; figures in the README, "Models as rows"):
the bytes of each tensor are chunked on their own (so a change in one tensor, or tensors moving
inside a file, never shifts the chunks of another), and a chunk is a power-of-two number of
whole output rows (``shape[0]`` rows of ``prod(shape[1:])`` elements) of at most 64 KiB. So:

- the same file under two names, frozen layers of a fine-tune, and a layer subset of a parent
  dedup completely, as with any per-tensor scheme;
- an embedding matrix extended by a few tokens keeps every chunk but the last (whole-tensor
  chunks lose the whole matrix; fixed chunks over the whole file lose everything after it);
- a student that drops attention heads keeps the Q/K/V chunks of the heads it keeps, because
  a power-of-two row group divides the head size: the rows after a dropped head shift by whole
  chunks (plain 64 KiB chunks and whole-tensor chunks lose them);
- a chunk covers a known range of rows, so the query side can read one neuron or one token
  embedding by fetching one chunk;
- it costs one BLAKE3 pass (about 3 GB/s); content-defined chunking (FastCDC, what Xet uses) finds
  partial overlaps that row groups miss (single pruned FFN rows), at about a tenth the speed.

Rows wider than the chunk size are cut into 64 KiB pieces starting at each row. Tensors with
fewer than two dimensions are cut in fixed 64 KiB pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hartonomous.formats import Chunk, TensorInfo, cdc_boundaries, fixed_boundaries, hash_bytes
from hartonomous.formats.model import Buffer

STRATEGIES = ("rows", "fixed", "tensor", "cdc")
DEFAULT_MAX_BYTES = 64 * 1024
TENSOR_PIECE_CAP = 256 * 1024 * 1024  # a bytea value cannot exceed 1 GB; whole-tensor chunks stop here


@dataclass(frozen=True, slots=True)
class ChunkPolicy:
    """The chunking in force: ``rows`` (default), ``fixed``, ``tensor`` or ``cdc``, and the size."""

    strategy: str = "rows"
    max_bytes: int = DEFAULT_MAX_BYTES
    algorithm: str = "blake3"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown chunking {self.strategy!r}; use one of {STRATEGIES}")
        if self.max_bytes < 256 or self.max_bytes & (self.max_bytes - 1):
            raise ValueError(f"chunk size {self.max_bytes} must be a power of two of at least 256")

    def describe(self) -> dict[str, Any]:
        """The policy as stored in ``models.chunking``."""
        return {"strategy": self.strategy, "max_bytes": self.max_bytes, "hash": self.algorithm}


def row_bytes(info: TensorInfo) -> int | None:
    """Bytes of one output row (``prod(shape[1:])`` elements), or ``None`` below two dimensions."""
    if len(info.shape) < 2 or info.shape[0] == 0 or info.nbytes % info.shape[0]:
        return None
    return info.nbytes // info.shape[0]


def rows_per_chunk(row: int, max_bytes: int) -> int:
    """The largest power of two of rows of ``row`` bytes that fits in ``max_bytes`` (0 if none)."""
    fit = max_bytes // row if row > 0 else 0
    return 1 << (fit.bit_length() - 1) if fit else 0


def row_boundaries(length: int, row: int | None, max_bytes: int) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of row-aligned chunks: power-of-two row groups, or pieces of wide rows."""
    if row is None:
        yield from fixed_boundaries(length, max_bytes)
        return
    group = rows_per_chunk(row, max_bytes)
    if group:
        yield from fixed_boundaries(length, group * row)
        return
    for start in range(0, length, row):
        for offset, size in fixed_boundaries(min(row, length - start), max_bytes):
            yield start + offset, size


def spans(data: Buffer, info: TensorInfo, policy: ChunkPolicy) -> Iterator[tuple[int, int]]:
    """Where ``policy`` cuts the ``data`` of tensor ``info`` (empty tensors have no chunks)."""
    length = len(memoryview(data).cast("B"))
    if length == 0:
        return iter(())
    if policy.strategy == "rows":
        return row_boundaries(length, row_bytes(info), policy.max_bytes)
    if policy.strategy == "fixed":
        return fixed_boundaries(length, policy.max_bytes)
    if policy.strategy == "tensor":
        return fixed_boundaries(length, TENSOR_PIECE_CAP)
    return cdc_boundaries(data, policy.max_bytes)


def chunk_tensor(data: Buffer, info: TensorInfo, policy: ChunkPolicy) -> list[Chunk]:
    """The chunks of one tensor's bytes, each with its content hash."""
    view = memoryview(data).cast("B")
    return [
        Chunk(offset, size, hash_bytes(view[offset : offset + size], policy.algorithm))
        for offset, size in spans(view, info, policy)
    ]
