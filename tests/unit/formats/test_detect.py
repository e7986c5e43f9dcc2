"""Format detection by content: names never matter."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from hartonomous.formats import (
    GGUFFile,
    ModelFormat,
    SafetensorsFile,
    UnsupportedModelFormatError,
    detect_format,
    open_model,
)
from hartonomous.formats.detect import looks_like_onnx


class TestDetection:
    """Each format is recognised from its bytes, whatever the file is called."""

    def test_misnamed_files(self, tmp_path: Path, gguf_path: Path) -> None:
        """A GGUF named .safetensors and a safetensors named .gguf open with the right reader."""
        st = tmp_path / "weights.gguf"
        save_file({"a": np.ones(3, np.float32)}, str(st))
        gg = tmp_path / "weights.safetensors"
        shutil.copy(gguf_path, gg)
        assert ModelFormat.SAFETENSORS == detect_format(st)
        assert ModelFormat.GGUF == detect_format(gg)
        with open_model(st) as a, open_model(gg) as b:
            assert (SafetensorsFile, GGUFFile) == (type(a), type(b))

    def test_onnx_and_torch(self, tmp_path: Path) -> None:
        """A protobuf ModelProto is ONNX; a zip is a torch checkpoint."""
        import onnx
        from onnx import TensorProto, helper

        init = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
        graph = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "g", [],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [init])
        path = tmp_path / "model.bin"
        onnx.save_model(helper.make_model(graph), str(path))
        assert ModelFormat.ONNX == detect_format(path)
        zipped = tmp_path / "model.onnx"
        import zipfile

        with zipfile.ZipFile(zipped, "w") as zf:
            zf.writestr("a/data.pkl", pickle.dumps({}))
        assert ModelFormat.TORCH == detect_format(zipped)

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "unrecognised"),
            (b"hello world, not a model", "unrecognised"),
            (pickle.dumps({"a": 1}, protocol=2), "bare pickle"),
            (b"\x08\x07\x12\x00\xff\xff", "unrecognised"),
        ],
    )
    def test_unrecognised(self, tmp_path: Path, content: bytes, message: str) -> None:
        """Text, bare pickles and broken protobufs are refused as unsupported."""
        path = tmp_path / "x.onnx"
        path.write_bytes(content)
        with pytest.raises(UnsupportedModelFormatError, match=message):
            open_model(path)

    def test_onnx_probe_needs_graph(self, tmp_path: Path) -> None:
        """A protobuf with only ir_version (no graph) is not taken for ONNX."""
        path = tmp_path / "x"
        path.write_bytes(b"\x08\x07")
        assert False is looks_like_onnx(path)
