"""Element types: names, storage and exact widening of BF16 and F8."""

from __future__ import annotations

import numpy as np
import pytest

from hartonomous.formats import dtypes


class TestWidening:
    """Non-native floats widen exactly to float32."""

    def test_bf16(self) -> None:
        """BF16 bits are the top half of float32."""
        values = np.array([1.0, -0.5, 2.0**-100], np.float32)
        bits = (values.view(np.uint32) >> 16).astype(np.uint16)
        np.testing.assert_array_equal(values, dtypes.to_float32(bits, "BF16"))

    def test_f8_e5m2_and_e4m3(self) -> None:
        """E5M2 is the top byte of float16; E4M3FN decodes by its table (0x7F is NaN, max 448)."""
        half = np.array([1.0, -2.0, 0.5], np.float16)
        top = (half.view(np.uint16) >> 8).astype(np.uint8)
        np.testing.assert_array_equal(half.astype(np.float32), dtypes.to_float32(top, "F8_E5M2"))
        decoded = dtypes.to_float32(np.array([0x38, 0x7E, 0xB8, 0x01], np.uint8), "F8_E4M3")
        np.testing.assert_array_equal(np.array([1.0, 448.0, -1.0, 2.0**-9], np.float32), decoded)
        assert np.isnan(dtypes.to_float32(np.array([0x7F], np.uint8), "F8_E4M3"))[0]


class TestNames:
    """Names map to storage dtypes and back."""

    def test_round_trip_names(self) -> None:
        """Native dtypes map to their names; unknown names are refused."""
        assert "F32" == dtypes.dtype_name(np.dtype(np.float32))
        assert "I64" == dtypes.dtype_name(np.dtype(np.int64))
        assert (2, False) == (dtypes.itemsize("BF16"), dtypes.is_native("BF16"))
        with pytest.raises(ValueError, match="unknown element type"):
            dtypes.storage_dtype("Q8_0")
