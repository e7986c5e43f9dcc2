"""safetensors writer: round trips are byte-identical and load in the reference library."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from hartonomous.formats import ModelFormatError, TensorInfo, open_model, write_safetensors


class TestRoundTrip:
    """Reading a file and writing it back reproduces it."""

    def test_minilm_round_trip_is_byte_identical(self, minilm_safetensors: Path, tmp_path: Path) -> None:
        """MiniLM written back in file order with its metadata equals the original file byte for byte."""
        out = tmp_path / "model.safetensors"
        with open_model(minilm_safetensors) as model:
            infos = list(model.tensors())
            write_safetensors(out, infos, model.read_raw, model.metadata["safetensors_metadata"])
        assert minilm_safetensors.read_bytes() == out.read_bytes()

    def test_reordered_output_loads_with_reference(self, minilm_safetensors: Path, tmp_path: Path) -> None:
        """A different tensor order still gives identical tensors under ``safetensors.numpy``."""
        out = tmp_path / "reordered.safetensors"
        with open_model(minilm_safetensors) as model:
            infos = sorted(model.tensors(), key=lambda i: i.name, reverse=True)
            write_safetensors(out, infos, model.read_raw)
        expected, actual = load_file(str(minilm_safetensors)), load_file(str(out))
        assert sorted(expected) == sorted(actual)
        for name in expected:
            assert expected[name].tobytes() == actual[name].tobytes()


class TestHeader:
    """The header carries format=pt and aligned, consecutive offsets."""

    def test_format_pt_is_always_present(self, tmp_path: Path) -> None:
        """``__metadata__`` has ``format: pt`` even when the caller passes other metadata."""
        out = tmp_path / "x.safetensors"
        info = TensorInfo("w", "F32", (2,), 8)
        write_safetensors(out, [info], lambda _n: np.ones(2, np.float32).tobytes(), {"source": "test"})
        (length,) = struct.unpack("<Q", out.read_bytes()[:8])
        header = json.loads(out.read_bytes()[8 : 8 + length])
        assert {"format": "pt", "source": "test"} == header["__metadata__"]
        assert 0 == length % 8

    def test_tied_names_and_wrong_sizes_are_refused(self, tmp_path: Path) -> None:
        """A name written twice, a quantized dtype or a wrong byte count is an error, and no file appears."""
        out = tmp_path / "x.safetensors"
        info = TensorInfo("w", "F32", (2,), 8)
        with pytest.raises(ValueError, match="written twice"):
            write_safetensors(out, [info, info], lambda _n: bytes(8))
        with pytest.raises(ValueError, match="dequantize first"):
            write_safetensors(out, [TensorInfo("q", "Q8_0", (32,), 34)], lambda _n: bytes(34))
        with pytest.raises(ModelFormatError, match="got 4 bytes, expected 8"):
            write_safetensors(out, [info], lambda _n: bytes(4))
        assert [] == list(tmp_path.iterdir())


class TestFormatKey:
    """``format`` is forced to ``pt`` whatever the caller passes."""

    def test_format_cannot_be_overridden(self, tmp_path: Path) -> None:
        """A caller's ``format: np`` becomes ``pt``."""
        out = tmp_path / "x.safetensors"
        write_safetensors(out, [TensorInfo("w", "U8", (1,), 1)], lambda _n: b"\x01", {"format": "np"})
        with open_model(out) as model:
            assert {"format": "pt"} == model.metadata["safetensors_metadata"]
