"""Streaming statistics equal numpy's over the whole tensor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hartonomous.formats import row_norms, tensor_stats


class TestTensorStats:
    """Block-wise accumulation matches a one-shot float64 computation."""

    def test_matches_numpy_across_blocks(self) -> None:
        """Tiny blocks give the same mean, std, min, max, L2 and mean |w| as numpy."""
        values = np.random.default_rng(0).standard_normal((37, 53)).astype(np.float32) * 3 + 1
        stats = tensor_stats(values, block_elements=100)
        wide = values.astype(np.float64)
        expected = (wide.mean(), wide.std(), wide.min(), wide.max(), np.linalg.norm(wide), np.abs(wide).mean())
        actual = (stats.mean, stats.std, stats.min, stats.max, stats.l2, stats.mean_abs)
        assert pytest.approx(expected, rel=1e-12) == actual
        assert values.size == stats.count
        assert stats.mean_abs == stats.importance

    def test_non_contiguous_and_scalar(self) -> None:
        """Transposed views and 0-d arrays are handled."""
        values = np.arange(12, dtype=np.float64).reshape(3, 4)
        assert pytest.approx(values.std()) == tensor_stats(values.T, block_elements=5).std
        assert (5.0, 0.0) == (tensor_stats(np.array(5.0)).mean, tensor_stats(np.array(5.0)).std)

    def test_non_finite_values_are_counted_and_excluded(self) -> None:
        """NaN and inf are counted apart; the rest is summarised."""
        stats = tensor_stats(np.array([1.0, np.nan, 3.0, np.inf], dtype=np.float32))
        assert (2, 2, 2.0, 1.0, 3.0) == (stats.count, stats.nonfinite, stats.mean, stats.min, stats.max)

    def test_many_pieces_with_scattered_non_finite(self) -> None:
        """Blocks spanning several internal pieces, some with NaN/inf, equal numpy on the finite values."""
        values = np.random.default_rng(3).standard_normal(300_001) * 2 - 0.5
        values[[5, 70_000, 299_999]] = [np.nan, np.inf, -np.inf]
        stats = tensor_stats(values, block_elements=100_003)
        finite = values[np.isfinite(values)]
        expected = (finite.mean(), finite.std(), finite.min(), finite.max(), np.linalg.norm(finite), np.abs(finite).mean())
        actual = (stats.mean, stats.std, stats.min, stats.max, stats.l2, stats.mean_abs)
        assert pytest.approx(expected, rel=1e-10) == actual
        assert (finite.size, 3) == (stats.count, stats.nonfinite)

    def test_empty(self) -> None:
        """An empty tensor has a zero count and NaN statistics."""
        stats = tensor_stats(np.zeros((0, 4), np.float32))
        assert 0 == stats.count
        assert math.isnan(stats.mean)

    def test_large_offset_is_stable(self) -> None:
        """A large mean does not destroy the variance (no naive sum of squares)."""
        values = 1e8 + np.random.default_rng(1).standard_normal(10_000)
        assert pytest.approx(values.std(), rel=1e-9) == tensor_stats(values, block_elements=777).std


class TestRowNorms:
    """One L2 norm per output neuron (row)."""

    def test_row_norms(self) -> None:
        """Row norms equal numpy's, computed in blocks of rows."""
        values = np.random.default_rng(2).standard_normal((9, 7)).astype(np.float32)
        np.testing.assert_allclose(np.linalg.norm(values.astype(np.float64), axis=1), row_norms(values, 10))

    def test_rejects_non_2d(self) -> None:
        """Only 2-D tensors have rows."""
        with pytest.raises(ValueError, match="2-D"):
            row_norms(np.zeros(3))
