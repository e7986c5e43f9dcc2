"""PyTorch zip checkpoints: read without torch.load, and malicious pickles refused unrun."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hartonomous.formats import (
    CorruptModelFileError,
    TorchZipFile,
    UnsafeModelFileError,
    UnsupportedModelFormatError,
    open_model,
)

torch = pytest.importorskip("torch")


class TinyNet(torch.nn.Module):  # type: ignore[misc]
    """A small model with the parts real checkpoints have: embedding, layers, norm, head."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Embedding(12, 8)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(8, 8) for _ in range(2)])
        self.norm = torch.nn.LayerNorm(8)
        self.head = torch.nn.Linear(8, 3)
        self.register_buffer("steps", torch.arange(4, dtype=torch.int64))


@pytest.fixture()
def tiny_pt(tmp_path: Path) -> Path:
    """``TinyNet().state_dict()`` saved with ``torch.save``."""
    path = tmp_path / "tiny.pt"
    torch.save(TinyNet().state_dict(), path)
    return path


def _reference(path: Path) -> dict[str, object]:
    """What ``torch.load(weights_only=True)`` gives, flattened with dotted names."""
    loaded = torch.load(path, weights_only=True, map_location="cpu")
    return {k: v.detach().contiguous() for k, v in _flat_torch(loaded).items()}


def _flat_torch(obj: object, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flat_torch(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(_flat_torch(v, f"{prefix}.{i}"))
    elif isinstance(obj, torch.Tensor):
        out[prefix] = obj
    return out


class TestStateDict:
    """A state dict reads back exactly as ``torch.load(weights_only=True)`` gives it."""

    def test_every_tensor_matches_torch_load(self, tiny_pt: Path) -> None:
        """Names in order, dtypes, shapes and bytes equal torch's own loader."""
        expected = _reference(tiny_pt)
        with open_model(tiny_pt) as model:
            assert list(expected) == [info.name for info in model.tensors()]
            for info in model.tensors():
                tensor = expected[info.name]
                assert tuple(tensor.shape) == info.shape
                np.testing.assert_array_equal(tensor.numpy(), model.read_array(info.name))
                assert tensor.numpy().tobytes() == bytes(model.read_raw(info.name))
            assert "torch" == model.metadata["format"]

    def test_views_dtypes_and_nesting(self, tmp_path: Path) -> None:
        """Transposed and offset views, BF16/F16/int/bool storages and nested dicts are handled."""
        base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
        checkpoint = {
            "model": {"w": base, "w_t": base.t(), "row": base[2], "cols": base[:, 1:3]},
            "bf16": torch.linspace(-2, 2, 7).to(torch.bfloat16),
            "half": torch.ones(3, dtype=torch.float16) / 3,
            "flags": torch.tensor([True, False]),
            "scalar": torch.tensor(5, dtype=torch.int32),
            "epoch": 7,
            "layers": [torch.zeros(2), torch.ones(2)],
        }
        path = tmp_path / "ckpt.pth"
        torch.save(checkpoint, path)
        expected = _reference(path)
        with TorchZipFile(path) as model:
            for name in ["model.w", "model.w_t", "model.row", "model.cols", "half", "flags", "scalar"]:
                np.testing.assert_array_equal(expected[name].numpy(), model.read_array(name))
                assert expected[name].numpy().tobytes() == bytes(model.read_raw(name))
            np.testing.assert_array_equal(expected["bf16"].float().numpy(), model.read_array("bf16", dequantize=True))
            assert expected["bf16"].view(torch.int16).numpy().tobytes() == bytes(model.read_raw("bf16"))
            assert {"epoch": 7} == model.metadata["torch"]["extras"]
            assert ["layers.0", "layers.1"] == [n for n in (i.name for i in model.tensors()) if n.startswith("layers")]
            assert model.tensor_info("model.w_t").offset is None
            assert model.tensor_info("model.row").offset is not None

    def test_reading_does_not_import_torch(self, tiny_pt: Path) -> None:
        """The reader needs no torch: a fresh interpreter reads the file without importing it."""
        code = (
            "import sys; from hartonomous.formats import open_model\n"
            f"m = open_model({str(tiny_pt)!r}); [m.read_array(i.name) for i in m.tensors()]\n"
            "print('torch' in sys.modules)"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert "False" == result.stdout.strip()


class _Marker:
    """Pickles to a call of ``os.system`` that would create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


class _Eval:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return eval, ("__import__('os').getcwd()",)


class TestMaliciousPickles:
    """Globals outside the allow-list are refused before anything they name runs."""

    def test_reduce_to_os_system_never_runs(self, tmp_path: Path) -> None:
        """A checkpoint whose pickle calls os.system is refused and the marker file never appears."""
        marker = tmp_path / "pwned"
        path = tmp_path / "evil.pt"
        torch.save({"weight": torch.ones(2), "payload": _Marker(marker)}, path)
        assert not marker.exists()
        with pytest.raises(UnsafeModelFileError, match=r"global (posix|os)\.system") as err:
            open_model(path)
        assert str(path) in str(err.value)
        assert not marker.exists()

    def test_builtins_eval_is_refused(self, tmp_path: Path) -> None:
        """A pickle reaching ``builtins.eval`` is refused."""
        path = tmp_path / "eval.pt"
        torch.save({"x": _Eval()}, path)
        with pytest.raises(UnsafeModelFileError, match=r"(__builtin__|builtins)\.eval"):
            TorchZipFile(path)

    def test_unknown_global_is_refused(self, tmp_path: Path) -> None:
        """A whole pickled nn.Module (an unknown class) is refused, suggesting a state_dict."""
        path = tmp_path / "module.pt"
        torch.save(torch.nn.Linear(2, 2), path)
        with pytest.raises(UnsafeModelFileError, match=r"torch\.nn\.modules\.linear\.Linear.*state_dict"):
            open_model(path)

    def test_hand_made_zip_with_protocol_4_pickle(self, tmp_path: Path) -> None:
        """A hand-built archive using STACK_GLOBAL (pickle protocol 4) is refused the same way."""
        marker = tmp_path / "pwned4"
        path = tmp_path / "hand.pt"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("archive/data.pkl", pickle.dumps({"a": _Marker(marker)}, protocol=4))
            zf.writestr("archive/version", "3\n")
        with pytest.raises(UnsafeModelFileError, match="system"):
            open_model(path)
        assert not marker.exists()


class TestBrokenArchives:
    """Archives that are not torch checkpoints, or are damaged, are refused clearly."""

    def test_zip_without_data_pkl(self, tmp_path: Path) -> None:
        """A zip without ``<archive>/data.pkl`` is not a torch checkpoint."""
        path = tmp_path / "other.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt", "hello")
        with pytest.raises(UnsupportedModelFormatError, match="not a torch checkpoint"):
            open_model(path)

    def test_missing_storage_record(self, tiny_pt: Path, tmp_path: Path) -> None:
        """A storage whose data record is missing is reported as corrupt."""
        path = tmp_path / "broken.pt"
        with zipfile.ZipFile(tiny_pt) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                if not item.filename.endswith("/data/0"):
                    dst.writestr(item, src.read(item))
        with pytest.raises(CorruptModelFileError, match="no zip record"):
            open_model(path)

    def test_truncated_zip(self, tiny_pt: Path, tmp_path: Path) -> None:
        """A zip cut short is reported as corrupt."""
        path = tmp_path / "cut.pt"
        path.write_bytes(tiny_pt.read_bytes()[:-200])
        with pytest.raises(CorruptModelFileError):
            open_model(path)


class TestFlatten:
    """Nested containers flatten to dotted names; scalars go to extras."""

    def test_flatten_nested(self) -> None:
        """Dicts and lists nest with dots; unknown leaves are named by type."""
        from hartonomous.formats.torch_reader import flatten
        from hartonomous.formats.torch_unpickler import StorageRef, TensorRef

        ref = TensorRef(StorageRef("0", "F32", 4), 0, (4,), (1,))
        tensors, extras = flatten({"a": {"b": ref, "n": 1}, "l": [ref, "s"], "o": object()})
        assert ["a.b", "l.0"] == list(tensors)
        assert {"a.n": 1, "l.1": "s", "o": "<object>"} == extras
