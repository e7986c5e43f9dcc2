"""ONNX: initializers read exactly (embedded and external), external paths confined to the folder."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hartonomous.formats import CorruptModelFileError, OnnxFile, UnsafeModelFileError, open_model

torch = pytest.importorskip("torch")


def _export(folder: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """A small torch MLP exported to ONNX, and its state dict as numpy."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mlp.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter needs no onnxscript
        torch.onnx.export(model, (torch.randn(1, 4),), str(path), dynamo=False)
    return path, {k: v.detach().numpy() for k, v in model.state_dict().items()}


class TestInitializers:
    """Initializers equal the exported model's weights and ``numpy_helper.to_array``."""

    def test_exported_model(self, tmp_path: Path) -> None:
        """Every weight of the torch model is an initializer with the same values and bytes."""
        path, state = _export(tmp_path / "m")
        with open_model(path) as model:
            assert "onnx" == model.metadata["format"]
            assert sorted(state) == sorted(info.name for info in model.tensors())
            for name, expected in state.items():
                np.testing.assert_array_equal(expected, model.read_array(name))
                assert expected.tobytes() == bytes(model.read_raw(name))
                assert ("F32", expected.shape) == (model.tensor_info(name).dtype, model.tensor_info(name).shape)

    def test_external_data_variant(self, tmp_path: Path) -> None:
        """The same model saved with external data reads identically, one tensor at a time."""
        path, state = _export(tmp_path / "m")
        proto = onnx.load(str(path))
        external = tmp_path / "ext" / "mlp.onnx"
        external.parent.mkdir()
        onnx.save_model(proto, str(external), save_as_external_data=True, location="weights.bin", size_threshold=0)
        assert (external.parent / "weights.bin").is_file()
        with open_model(external) as model:
            for name, expected in state.items():
                np.testing.assert_array_equal(expected, model.read_array(name))
                assert expected.tobytes() == bytes(model.read_raw(name))

    def test_typed_fields_and_bf16(self, tmp_path: Path) -> None:
        """Initializers stored in typed fields (not raw_data), including BF16, read correctly."""
        floats = helper.make_tensor("f", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
        bf16 = helper.make_tensor("b", TensorProto.BFLOAT16, [2], [1.5, -2.0])
        ints = helper.make_tensor("i", TensorProto.INT64, [3], [1, -2, 3])
        path = _graph_model(tmp_path / "typed.onnx", [floats, bf16, ints])
        with OnnxFile(path) as model:
            np.testing.assert_array_equal(numpy_helper.to_array(floats), model.read_array("f"))
            np.testing.assert_array_equal(np.array([1.5, -2.0], np.float32), model.read_array("b", dequantize=True))
            assert np.array([0x3FC0, 0xC000], "<u2").tobytes() == bytes(model.read_raw("b"))
            assert np.array([1, -2, 3], "<i8").tobytes() == bytes(model.read_raw("i"))


def _graph_model(path: Path, initializers: list[TensorProto]) -> Path:
    """A minimal valid model holding ``initializers`` (an Identity on the first)."""
    node = helper.make_node("Identity", [initializers[0].name], ["y"])
    out = helper.make_tensor_value_info("y", initializers[0].data_type, list(initializers[0].dims))
    graph = helper.make_graph([node], "g", [], [out], initializer=initializers)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(helper.make_model(graph), str(path))
    return path


def _external_model(path: Path, location: str, length: int = 16) -> Path:
    tensor = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return _graph_model(path, [tensor])


class TestExternalDataConfinement:
    """External data outside the model's folder is refused before any of it is read."""

    @pytest.fixture()
    def secret(self, tmp_path: Path) -> Path:
        """A file next to (not inside) the model folder."""
        path = tmp_path / "secret.bin"
        path.write_bytes(np.arange(4, dtype=np.float32).tobytes())
        return path

    def test_parent_escape(self, tmp_path: Path, secret: Path) -> None:
        """``../secret.bin`` is refused as escaping the folder."""
        path = _external_model(tmp_path / "model" / "m.onnx", "../secret.bin")
        with pytest.raises(UnsafeModelFileError, match=r"'\.\./secret\.bin' escapes the model folder") as err:
            open_model(path)
        assert str(path) in str(err.value)

    def test_absolute_path(self, tmp_path: Path, secret: Path) -> None:
        """An absolute location is refused."""
        path = _external_model(tmp_path / "model" / "m.onnx", str(secret))
        with pytest.raises(UnsafeModelFileError, match="absolute path"):
            open_model(path)

    def test_windows_style_paths(self, tmp_path: Path, secret: Path) -> None:
        """Backslash escapes and drive letters are refused too."""
        for location in ["..\\secret.bin", "C:\\secret.bin", "sub/../../secret.bin"]:
            path = _external_model(tmp_path / "model" / "m.onnx", location)
            with pytest.raises(UnsafeModelFileError):
                open_model(path)

    def test_symlink_escaping_folder(self, tmp_path: Path, secret: Path) -> None:
        """A symlink inside the folder that points outside it is refused."""
        path = _external_model(tmp_path / "model" / "m.onnx", "link.bin")
        os.symlink(secret, tmp_path / "model" / "link.bin")
        with pytest.raises(UnsafeModelFileError, match="outside the model folder"):
            open_model(path)

    def test_in_folder_data_is_read_and_bounds_checked(self, tmp_path: Path) -> None:
        """Data inside the folder is read; a length past its end is corrupt."""
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "w.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
        ok = _external_model(tmp_path / "model" / "ok.onnx", "w.bin")
        with open_model(ok) as model:
            np.testing.assert_array_equal(np.arange(4, dtype=np.float32), model.read_array("w"))
        (tmp_path / "model" / "short.bin").write_bytes(bytes(8))
        bad = _external_model(tmp_path / "model" / "bad.onnx", "short.bin")
        with pytest.raises(CorruptModelFileError, match="runs past the end"):
            open_model(bad)
        missing = _external_model(tmp_path / "model" / "missing.onnx", "nope.bin")
        with pytest.raises(CorruptModelFileError, match="missing"):
            open_model(missing)
