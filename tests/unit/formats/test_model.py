"""The common model: every reader satisfies ModelFile; closing and missing names behave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from hartonomous.formats import ModelFile, TensorInfo, open_model


class TestProtocol:
    """Readers are ModelFiles with the common metadata keys."""

    def test_readers_satisfy_protocol(self, minilm_safetensors: Path, gguf_path: Path) -> None:
        """safetensors and GGUF readers are ModelFile instances with the four common keys."""
        for path in (minilm_safetensors, gguf_path):
            with open_model(path) as model:
                assert isinstance(model, ModelFile)
                assert {"format", "architecture", "config", "tokenizer"} <= set(model.metadata)

    def test_missing_name_and_closed_file(self, tmp_path: Path) -> None:
        """An unknown name is a KeyError naming the file; reads after close fail clearly."""
        path = tmp_path / "a.safetensors"
        save_file({"w": np.arange(4, dtype=np.float32)}, str(path))
        model = open_model(path)
        with pytest.raises(KeyError, match="no tensor named 'nope'"):
            model.read_raw("nope")
        kept = model.read_array("w")
        model.close()
        np.testing.assert_array_equal(np.arange(4, dtype=np.float32), kept)
        with pytest.raises(ValueError, match="closed"):
            model.read_raw("w")


class TestTensorInfo:
    """Derived properties of a tensor info."""

    def test_numel_and_quantized(self) -> None:
        """numel multiplies the shape (1 for a scalar); quantized follows quant_type."""
        assert (12, False) == (TensorInfo("a", "F32", (3, 4), 48).numel, TensorInfo("a", "F32", (3, 4), 48).is_quantized)
        assert 1 == TensorInfo("s", "F32", (), 4).numel
        assert TensorInfo("q", "Q8_0", (32,), 34, None, "Q8_0", 32, 34).is_quantized
