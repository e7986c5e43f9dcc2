"""safetensors reader: real files read exactly, bad files refused with a clear error."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from hartonomous.formats import CorruptModelFileError, SafetensorsFile, open_model
from hartonomous.formats.safetensors_reader import HEADER_MAX_BYTES
from tests.unit.formats.conftest import raw_safetensors

WriteFile = Callable[[str, bytes], Path]


class TestMiniLM:
    """Every MiniLM tensor reads back identical to safetensors' own loader."""

    def test_every_tensor_matches_reference_loader(self, minilm_safetensors: Path) -> None:
        """Names, dtypes, shapes and values equal ``safetensors.numpy.load_file``."""
        expected = load_file(str(minilm_safetensors))
        with open_model(minilm_safetensors) as model:
            assert sorted(expected) == sorted(info.name for info in model.tensors())
            for info in model.tensors():
                actual = model.read_array(info.name)
                assert expected[info.name].dtype == actual.dtype
                assert expected[info.name].shape == info.shape
                np.testing.assert_array_equal(expected[info.name], actual)
                assert expected[info.name].tobytes() == bytes(model.read_raw(info.name))

    def test_tensors_come_in_file_order(self, minilm_safetensors: Path) -> None:
        """Offsets increase strictly through ``tensors()`` and tile the data region."""
        with SafetensorsFile(minilm_safetensors) as model:
            infos = list(model.tensors())
            offsets = [info.offset for info in infos]
            assert sorted(offsets) == offsets
            assert minilm_safetensors.stat().st_size == infos[-1].offset + infos[-1].nbytes

    def test_metadata_has_config_tokenizer_and_architecture(self, minilm_safetensors: Path) -> None:
        """Config and tokenizer beside the file are picked up; architecture comes from config."""
        with open_model(minilm_safetensors) as model:
            meta = model.metadata
        assert "safetensors" == meta["format"]
        assert "BertModel" == meta["architecture"]
        assert 384 == meta["config"]["hidden_size"]
        assert 30522 == len(meta["tokenizer"]["tokens"])
        assert "[CLS]" == meta["tokenizer"]["tokens"][101]
        assert {"format": "pt"} == meta["safetensors_metadata"]


class TestDtypes:
    """All element types round-trip, BF16 widened exactly on request."""

    def test_all_numpy_dtypes(self, tmp_path: Path) -> None:
        """BOOL, U8..U64, I8..I64, F16, F32, F64 read back equal."""
        arrays = {
            name: np.arange(6).reshape(2, 3).astype(dtype)
            for name, dtype in [
                ("b", np.bool_), ("u8", np.uint8), ("i8", np.int8), ("i16", np.int16), ("u16", np.uint16),
                ("i32", np.int32), ("u32", np.uint32), ("i64", np.int64), ("u64", np.uint64),
                ("f16", np.float16), ("f32", np.float32), ("f64", np.float64),
            ]
        }
        path = tmp_path / "all.safetensors"
        save_file(arrays, str(path))
        with open_model(path) as model:
            for name, expected in arrays.items():
                np.testing.assert_array_equal(expected, model.read_array(name))
                assert expected.dtype == model.read_array(name).dtype

    def test_bf16_raw_and_dequantized(self, write_file: WriteFile) -> None:
        """BF16 comes back as raw uint16 bits, or as exact float32 when dequantized."""
        values = np.array([1.0, -2.5, 0.15625, 2.0**100], dtype=np.float32)
        bits = (values.view(np.uint32) >> 16).astype("<u2")
        header = {"x": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}
        path = write_file("bf.safetensors", raw_safetensors(header, bits.tobytes()))
        with open_model(path) as model:
            np.testing.assert_array_equal(bits, model.read_array("x"))
            np.testing.assert_array_equal(values, model.read_array("x", dequantize=True))


class TestBadFiles:
    """Each malformed file is refused with CorruptModelFileError naming the problem."""

    def _valid(self, tmp_path: Path) -> Path:
        path = tmp_path / "ok.safetensors"
        save_file({"a": np.ones((4, 4), np.float32), "b": np.zeros(8, np.float32)}, str(path))
        return path

    def test_truncated_file(self, tmp_path: Path, write_file: WriteFile) -> None:
        """Cutting the data short is reported as running past the end."""
        data = self._valid(tmp_path).read_bytes()
        path = write_file("cut.safetensors", data[:-10])
        with pytest.raises(CorruptModelFileError, match="run past the end") as err:
            open_model(path)
        assert str(path) in str(err.value)

    def test_truncated_inside_header(self, tmp_path: Path, write_file: WriteFile) -> None:
        """A file cut inside its header is reported as truncated."""
        data = self._valid(tmp_path).read_bytes()
        with pytest.raises(CorruptModelFileError, match="truncated"):
            SafetensorsFile(write_file("cut.safetensors", data[:40]))

    def test_overlapping_offsets(self, write_file: WriteFile) -> None:
        """Two tensors sharing bytes are refused as overlapping."""
        header = {
            "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
        }
        with pytest.raises(CorruptModelFileError, match="overlap"):
            open_model(write_file("overlap.safetensors", raw_safetensors(header, bytes(24))))

    def test_offsets_past_end(self, write_file: WriteFile) -> None:
        """A tensor whose offsets run past the data region is refused."""
        header = {
            "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "b": {"dtype": "F32", "shape": [1000], "data_offsets": [16, 4016]},
        }
        with pytest.raises(CorruptModelFileError, match=r"'b'.*run past the end"):
            open_model(write_file("past.safetensors", raw_safetensors(header, bytes(16))))

    def test_oversized_header_length(self, write_file: WriteFile) -> None:
        """A header length above the 100 MB cap is refused before anything is parsed."""
        data = struct.pack("<Q", HEADER_MAX_BYTES + 1) + b"{" + bytes(100)
        with pytest.raises(CorruptModelFileError, match="exceeds the .*cap"):
            SafetensorsFile(write_file("huge.safetensors", data))

    def test_header_length_beyond_file(self, write_file: WriteFile) -> None:
        """A header length below the cap but beyond the file is reported as truncated."""
        data = struct.pack("<Q", 5000) + b'{"a":1}'
        with pytest.raises(CorruptModelFileError, match="truncated"):
            open_model(write_file("short.safetensors", data))

    @pytest.mark.parametrize(
        ("entry", "message"),
        [
            ({"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}, "unknown dtype"),
            ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, "needs 12 bytes"),
            ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, "non-negative"),
            ({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}, "end 0 < begin 8"),
            ({"dtype": "F32", "shape": [2]}, "exactly dtype, shape, data_offsets"),
        ],
    )
    def test_inconsistent_entry(self, write_file: WriteFile, entry: dict[str, object], message: str) -> None:
        """Unknown dtypes, size mismatches and malformed entries are refused."""
        path = write_file("bad.safetensors", raw_safetensors({"x": entry}, bytes(8)))
        with pytest.raises(CorruptModelFileError, match=message):
            open_model(path)

    def test_hole_and_trailing_bytes(self, write_file: WriteFile) -> None:
        """Gaps between tensors and bytes after the last one are refused (as the reference does)."""
        hole = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}}
        with pytest.raises(CorruptModelFileError, match="hole"):
            open_model(write_file("hole.safetensors", raw_safetensors(hole, bytes(8))))
        tail = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}
        with pytest.raises(CorruptModelFileError, match="trailing"):
            open_model(write_file("tail.safetensors", raw_safetensors(tail, bytes(8))))

    def test_duplicate_keys_and_bad_json(self, write_file: WriteFile) -> None:
        """Duplicate tensor names and non-JSON headers are refused."""
        dup = b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
        with pytest.raises(CorruptModelFileError, match="duplicate key"):
            open_model(write_file("dup.safetensors", struct.pack("<Q", len(dup)) + dup + b"\x00"))
        with pytest.raises(CorruptModelFileError, match="not valid UTF-8 JSON"):
            open_model(write_file("junk.safetensors", struct.pack("<Q", 4) + b"{abc"))

    def test_bad_metadata(self, write_file: WriteFile) -> None:
        """``__metadata__`` that is not string-to-string is refused."""
        header = {"__metadata__": {"n": 1}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}
        with pytest.raises(CorruptModelFileError, match="__metadata__"):
            open_model(write_file("meta.safetensors", raw_safetensors(header, b"\x01")))


class TestStreaming:
    """Reading goes through the mmap: heap use stays far below the file size."""

    def test_hash_and_stats_of_every_tensor_stay_small(self, minilm_safetensors: Path) -> None:
        """Hashing all raw tensors allocates under 1 MB; stats stay below the largest tensor."""
        import tracemalloc

        from hartonomous.formats import hash_bytes, tensor_stats

        with open_model(minilm_safetensors) as model:
            largest = max(info.nbytes for info in model.tensors())
            tracemalloc.start()
            for info in model.tensors():
                hash_bytes(model.read_raw(info.name))
            _, hash_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            for info in model.tensors():
                tensor_stats(model.read_array(info.name))
            _, stats_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert hash_peak < 1 << 20
        assert stats_peak < largest < minilm_safetensors.stat().st_size
