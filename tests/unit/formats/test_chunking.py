"""Chunking: spans tile the input, CDC is content-defined and shift-resistant."""

from __future__ import annotations

import numpy as np
import pytest

from hartonomous.formats import Chunk, ChunkStrategy, cdc_boundaries, chunk_bytes, fixed_boundaries, hash_bytes
from hartonomous.formats.chunking import _GEAR, gear_hashes


def _random(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _tiles(spans: list[tuple[int, int]], total: int) -> bool:
    cursor = 0
    for offset, length in spans:
        if offset != cursor or length <= 0:
            return False
        cursor += length
    return cursor == total


class TestGear:
    """The vectorised Gear hash equals the byte-by-byte recurrence."""

    def test_matches_sequential_recurrence(self) -> None:
        """``h = (h << 1) + GEAR[b]`` mod 2**32, byte by byte, equals the doubling computation."""
        data = _random(3000, seed=5)
        h, expected = 0, []
        for byte in data:
            h = ((h << 1) + int(_GEAR[byte])) & 0xFFFFFFFF
            expected.append(h)
        assert expected == gear_hashes(data).tolist()


class TestStrategies:
    """Every strategy tiles its input and hashes each piece."""

    def test_tensor_and_fixed(self) -> None:
        """Per-tensor is one chunk; fixed-size cuts every ``size`` bytes."""
        data = _random(10_000)
        assert [Chunk(0, 10_000, hash_bytes(data))] == chunk_bytes(data, ChunkStrategy.TENSOR)
        assert [(0, 4096), (4096, 4096), (8192, 1808)] == list(fixed_boundaries(10_000, 4096))
        chunks = chunk_bytes(data, "fixed", size=4096, algorithm="sha256")
        assert hash_bytes(data[8192:], "sha256") == chunks[-1].hash

    def test_cdc_sizes_and_tiling(self) -> None:
        """CDC chunks tile the input, respect min/max and average near the target."""
        data = _random(4 << 20)
        spans = list(cdc_boundaries(data, 16384))
        assert _tiles(spans, len(data))
        lengths = [length for _, length in spans]
        assert 4096 <= min(lengths[:-1]) and max(lengths) <= 65536
        assert 8192 < float(np.mean(lengths)) < 32768

    def test_cdc_is_shift_resistant(self) -> None:
        """Inserting bytes at the front moves only the first boundaries."""
        data = _random(2 << 20, seed=1)
        before = {o + n for o, n in cdc_boundaries(data, 16384)}
        after = {o + n - 7 for o, n in cdc_boundaries(b"inserted" [:7] + data, 16384)}
        assert len(before & after) >= len(before) - 2

    def test_cdc_dedups_shared_content(self) -> None:
        """Two buffers sharing a long middle share most of its chunk hashes."""
        shared = _random(1 << 20, seed=2)
        a = _random(100_000, seed=3) + shared
        b = _random(33_333, seed=4) + shared + _random(5000, seed=6)
        hashes_a = {c.hash for c in chunk_bytes(a, size=16384)}
        hashes_b = {c.hash for c in chunk_bytes(b, size=16384)}
        shared_count = len({c.hash for c in chunk_bytes(shared, size=16384)})
        assert len(hashes_a & hashes_b) >= shared_count - 3

    def test_small_and_empty_inputs(self) -> None:
        """Inputs below the minimum are one chunk; empty input has none."""
        assert [(0, 100)] == list(cdc_boundaries(_random(100)))
        assert [] == list(cdc_boundaries(b""))
        assert [] == chunk_bytes(b"", "fixed")

    def test_bad_parameters(self) -> None:
        """Sizes that are not powers of two or out of order are refused."""
        with pytest.raises(ValueError):
            list(cdc_boundaries(b"x", 1000))
        with pytest.raises(ValueError):
            list(cdc_boundaries(b"x", 1024, min_size=2048))
