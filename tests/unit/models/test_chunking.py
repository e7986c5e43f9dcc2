"""Row-aligned chunking: power-of-two row groups, wide rows split per row, every byte covered once."""

from __future__ import annotations

import numpy as np
import pytest

from hartonomous.formats import TensorInfo, hash_bytes
from hartonomous.models.chunking import ChunkPolicy, chunk_tensor, row_boundaries, row_bytes, rows_per_chunk


def _tiles(spans: list[tuple[int, int]], length: int) -> bool:
    cursor = 0
    for offset, size in spans:
        if offset != cursor or size <= 0:
            return False
        cursor += size
    return cursor == length


class TestRowBytes:
    """A row is one output neuron: prod(shape[1:]) elements, whatever the storage type."""

    def test_plain_and_quantized_rows(self) -> None:
        """F32 [30, 384] rows are 1536 bytes; Q8_0 [8, 64] rows are 2 blocks of 34 bytes."""
        assert 1536 == row_bytes(TensorInfo("w", "F32", (30, 384), 30 * 1536))
        assert 68 == row_bytes(TensorInfo("q", "Q8_0", (8, 64), 8 * 68, None, "Q8_0", 32, 34))
        assert 4 * 5 * 3 == row_bytes(TensorInfo("c", "F32", (2, 5, 3), 2 * 60))

    def test_no_rows_below_two_dimensions(self) -> None:
        """Scalars and vectors have no rows."""
        assert (None, None) == (row_bytes(TensorInfo("b", "F32", (7,), 28)), row_bytes(TensorInfo("s", "F32", (), 4)))


class TestRowBoundaries:
    """Chunks are whole power-of-two row groups up to the size cap."""

    def test_groups_are_a_power_of_two_of_rows(self) -> None:
        """1536-byte rows, 64 KiB cap: 42 rows fit, so groups of 32 rows (49152 bytes)."""
        assert 32 == rows_per_chunk(1536, 65536)
        spans = list(row_boundaries(100 * 1536, 1536, 65536))
        assert [(0, 49152), (49152, 49152), (98304, 49152), (147456, 6144)] == spans

    def test_wide_rows_are_cut_per_row(self) -> None:
        """A 100 KiB row is cut at 64 KiB, and every row starts a chunk."""
        row = 100 * 1024
        spans = list(row_boundaries(3 * row, row, 65536))
        assert _tiles(spans, 3 * row)
        assert {0, row, 2 * row} <= {o for o, _ in spans}
        assert max(s for _, s in spans) == 65536

    def test_no_rows_means_fixed_pieces(self) -> None:
        """Without rows the bytes are cut in fixed pieces."""
        assert [(0, 65536), (65536, 10)] == list(row_boundaries(65546, None, 65536))

    @pytest.mark.parametrize("rows,width", [(1, 1), (17, 3), (1000, 384), (3, 40000)])
    def test_every_byte_exactly_once(self, rows: int, width: int) -> None:
        """Spans tile the tensor: no gap, no overlap."""
        assert _tiles(list(row_boundaries(rows * width * 4, width * 4, 65536)), rows * width * 4)


class TestChunkTensor:
    """Each chunk carries the hash of its bytes; strategies differ only in where they cut."""

    def test_hashes_and_appended_rows(self) -> None:
        """Appending rows keeps every full chunk of the original (the extended-embedding case)."""
        base = np.random.default_rng(0).standard_normal((100, 384)).astype(np.float32)
        longer = np.concatenate([base, np.ones((3, 384), np.float32)])
        policy = ChunkPolicy()
        a = chunk_tensor(base.tobytes(), TensorInfo("e", "F32", base.shape, base.nbytes), policy)
        b = chunk_tensor(longer.tobytes(), TensorInfo("e", "F32", longer.shape, longer.nbytes), policy)
        raw = base.tobytes()
        assert all(c.hash == hash_bytes(raw[c.offset : c.offset + c.length]) for c in a)
        assert [c.hash for c in a[:-1]] == [c.hash for c in b[: len(a) - 1]]

    def test_dropping_a_head_keeps_the_other_heads_chunks(self) -> None:
        """Rows of a 32-row head removed: the later rows shift by whole chunks and still match."""
        q = np.random.default_rng(1).standard_normal((384, 384)).astype(np.float32)
        pruned = np.delete(q, np.arange(32, 64), axis=0)
        policy = ChunkPolicy()
        full = {c.hash for c in chunk_tensor(q.tobytes(), TensorInfo("q", "F32", q.shape, q.nbytes), policy)}
        kept = chunk_tensor(pruned.tobytes(), TensorInfo("q", "F32", pruned.shape, pruned.nbytes), policy)
        assert all(c.hash in full for c in kept)

    def test_empty_tensor_has_no_chunks(self) -> None:
        """Zero bytes, zero chunks."""
        assert [] == chunk_tensor(b"", TensorInfo("z", "F32", (0, 4), 0), ChunkPolicy())

    @pytest.mark.parametrize("strategy", ["rows", "fixed", "tensor", "cdc"])
    def test_all_strategies_cover_the_bytes(self, strategy: str) -> None:
        """Whatever the strategy, the chunks tile the tensor."""
        data = np.random.default_rng(2).integers(0, 255, 300_000, dtype=np.uint8).tobytes()
        chunks = chunk_tensor(data, TensorInfo("t", "U8", (300, 1000), len(data)), ChunkPolicy(strategy))
        assert _tiles([(c.offset, c.length) for c in chunks], len(data))

    def test_policy_is_validated(self) -> None:
        """Unknown strategies and sizes that are not powers of two are refused."""
        with pytest.raises(ValueError, match="unknown chunking"):
            ChunkPolicy("zip")
        with pytest.raises(ValueError, match="power of two"):
            ChunkPolicy("rows", 60000)
