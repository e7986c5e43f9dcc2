"""One pass over a tensor: statistics, row norms, kept rows, dequantized blocks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hartonomous.formats import TensorInfo, open_model, tensor_stats
from hartonomous.models.scan import as_rows, sample_rows, scan_tensor
from hartonomous.models.testing import write_tiny_gguf


def _info(arr: np.ndarray, dtype: str = "F32") -> TensorInfo:
    return TensorInfo("t", dtype, arr.shape, arr.nbytes)


class TestScan:
    """Statistics equal the formats' statistics; kept rows are exact copies with their norms."""

    def test_stats_rows_norms_importance(self) -> None:
        """Blocks of a few rows give the same result as whole-tensor numpy."""
        arr = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
        keep = np.array([0, 13, 49])
        scan = scan_tensor(_info(arr), arr.tobytes(), keep, block_elements=20)
        expected = tensor_stats(arr)
        assert pytest.approx([expected.mean, expected.std, expected.l2], rel=1e-12) == [
            scan.stats.mean, scan.stats.std, scan.stats.l2]
        assert scan.rows is not None
        np.testing.assert_array_equal(arr[keep], scan.rows.vectors)
        norms = np.linalg.norm(arr.astype(np.float64), axis=1)
        np.testing.assert_allclose(norms[keep], scan.rows.norms, rtol=1e-6)
        np.testing.assert_allclose(norms[keep] / norms.mean(), scan.rows.importance, rtol=1e-6)

    def test_rows_with_nan_are_left_out(self) -> None:
        """pgvector refuses NaN: a row holding one is not kept; the statistics count it apart."""
        arr = np.ones((3, 4), np.float32)
        arr[1, 2] = np.nan
        scan = scan_tensor(_info(arr), arr.tobytes(), np.arange(3))
        assert scan.rows is not None
        assert [0, 2] == scan.rows.indices.tolist()
        assert 1 == scan.stats.nonfinite

    def test_bf16_is_widened(self) -> None:
        """BF16 bits are read as float32 values."""
        values = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
        bits = (values.view(np.uint32) >> 16).astype(np.uint16)
        scan = scan_tensor(TensorInfo("b", "BF16", (2, 2), 8), bits.tobytes(), np.arange(2))
        assert scan.rows is not None
        np.testing.assert_array_equal(values, scan.rows.vectors)
        assert 0.625 == scan.stats.mean

    def test_quantized_rows_are_dequantized(self, tmp_path: Path) -> None:
        """Q8_0 and Q4_0 rows equal the gguf package's dequantization."""
        with open_model(write_tiny_gguf(tmp_path / "t.gguf")) as model:
            for name in ("blk.0.ffn_up.weight", "blk.0.ffn_down.weight"):
                info = model.tensor_info(name)
                expected = model.read_array(name, dequantize=True)
                scan = scan_tensor(info, model.read_raw(name), np.arange(info.shape[0]), block_elements=200)
                assert scan.rows is not None
                np.testing.assert_array_equal(expected, scan.rows.vectors)
                assert pytest.approx(float(expected.astype(np.float64).mean()), rel=1e-9) == scan.stats.mean

    def test_integers_have_stats_but_no_rows(self) -> None:
        """Integer tensors are summarised; they have no weight rows."""
        arr = np.arange(12, dtype=np.int64).reshape(3, 4)
        scan = scan_tensor(_info(arr, "I64"), arr.tobytes(), np.arange(3))
        assert (None, 5.5) == (scan.rows, scan.stats.mean)


class TestShapesAndSampling:
    """Rows of any shape, evenly spaced samples."""

    def test_as_rows(self) -> None:
        """Scalars are 1x1, vectors one row, higher ranks rows x rest."""
        assert [(1, 1), (1, 5), (2, 12)] == [as_rows(()), as_rows((5,)), as_rows((2, 3, 4))]

    def test_sample_rows(self) -> None:
        """All rows up to the limit; beyond it evenly spaced, first and last included."""
        assert list(range(5)) == sample_rows(5, 8).tolist()
        sample = sample_rows(1000, 10)
        assert (10, 0, 999) == (sample.size, sample[0], sample[-1])
        assert 0 == sample_rows(10, 0).size
        assert math.isclose(float(np.diff(sample).std()), 0.0, abs_tol=1.0)
