"""GGUF writer: metadata and raw blocks written back so the file is identical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader, GGUFValueType

from hartonomous.formats import (
    GGUFFile,
    GGUFKeyValue,
    ModelFormatError,
    TensorInfo,
    kvs_from_metadata,
    open_model,
    write_gguf,
)


class TestRoundTrip:
    """A GGUF read and written back keeps every tensor byte and every key/value."""

    def test_file_is_byte_identical(self, gguf_path: Path, tmp_path: Path) -> None:
        """Key/values in order plus raw tensors reproduce the gguf-written file exactly."""
        out = tmp_path / "copy.gguf"
        with GGUFFile(gguf_path) as model:
            write_gguf(out, model.kvs, list(model.tensors()), model.read_raw)
        assert gguf_path.read_bytes() == out.read_bytes()

    def test_from_json_metadata(self, gguf_path: Path, tmp_path: Path) -> None:
        """Key/values rebuilt from the JSON-able metadata give identical tensors and values."""
        out = tmp_path / "copy.gguf"
        with open_model(gguf_path) as model:
            kvs = kvs_from_metadata(model.metadata["gguf"], model.metadata["gguf_types"])
            write_gguf(out, kvs, list(model.tensors()), model.read_raw)
        with open_model(gguf_path) as before, open_model(out) as after:
            assert before.metadata["gguf"] == after.metadata["gguf"]
            for info in before.tensors():
                assert bytes(before.read_raw(info.name)) == bytes(after.read_raw(info.name))
        assert 6 == len(GGUFReader(out).tensors)

    def test_custom_alignment_and_odd_strings(self, tmp_path: Path) -> None:
        """A 64-byte alignment and a string that is not valid UTF-8 survive a rewrite."""
        kvs = [
            GGUFKeyValue("general.architecture", "test", GGUFValueType.STRING),
            GGUFKeyValue("general.alignment", 64, GGUFValueType.UINT32),
            GGUFKeyValue("odd", b"\xff\xfeok".decode("utf-8", "surrogateescape"), GGUFValueType.STRING),
            GGUFKeyValue("ints", [1, -2], GGUFValueType.ARRAY, GGUFValueType.INT16),
        ]
        values = np.arange(10, dtype=np.float32)
        first = tmp_path / "a.gguf"
        write_gguf(first, kvs, [TensorInfo("x", "F32", (10,), 40)], lambda _n: values.tobytes())
        with GGUFFile(first) as model:
            assert 64 == model.metadata["gguf_alignment"]
            assert 0 == model.tensor_info("x").offset % 64
            assert ["ARRAY", "INT16"] == model.metadata["gguf_types"]["ints"]
            np.testing.assert_array_equal(values, model.read_array("x"))
            second = tmp_path / "b.gguf"
            write_gguf(second, model.kvs, list(model.tensors()), model.read_raw)
        assert first.read_bytes() == second.read_bytes()

    def test_wrong_size_leaves_no_file(self, tmp_path: Path) -> None:
        """Bytes of the wrong length raise and leave nothing at the destination."""
        out = tmp_path / "x.gguf"
        with pytest.raises(ModelFormatError, match="expected 40"):
            write_gguf(out, [], [TensorInfo("x", "F32", (10,), 40)], lambda _n: bytes(8))
        assert [] == list(tmp_path.iterdir())
