"""GGUF reader: metadata, row-major shapes, raw blocks and dequantized views; bad offsets refused."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize

from hartonomous.formats import CorruptModelFileError, GGUFFile, UnsupportedModelFormatError, open_model
from tests.unit.formats.conftest import gguf_tensors


class TestTensors:
    """Tensors read back as written, checked against the gguf package's own reader."""

    def test_raw_blocks_match_gguf_reader(self, gguf_path: Path) -> None:
        """Raw bytes of every tensor equal those the gguf package's reader maps."""
        reference = {t.name: t for t in GGUFReader(gguf_path).tensors}
        with open_model(gguf_path) as model:
            assert list(reference) == [info.name for info in model.tensors()]
            for info in model.tensors():
                assert reference[info.name].data.tobytes() == bytes(model.read_raw(info.name))
                assert int(reference[info.name].n_bytes) == info.nbytes

    def test_shapes_are_row_major_and_types_kept(self, gguf_path: Path) -> None:
        """Dims come out reversed to row-major; block types and geometry are reported."""
        with GGUFFile(gguf_path) as model:
            assert ("F32", (16, 64), None) == _brief(model, "token_embd.weight")
            assert ("F16", (8, 64), None) == _brief(model, "blk.0.attn_q.weight")
            assert ("Q8_0", (4, 128), "Q8_0") == _brief(model, "blk.0.ffn_up.weight")
            assert ("Q4_0", (6, 96), "Q4_0") == _brief(model, "blk.0.ffn_down.weight")
            assert ("Q6_K", (2, 256), "Q6_K") == _brief(model, "blk.0.ffn_gate.weight")
            q8 = model.tensor_info("blk.0.ffn_up.weight")
            assert (32, 34, 4 * 4 * 34) == (q8.block_size, q8.block_bytes, q8.nbytes)
            q4 = model.tensor_info("blk.0.ffn_down.weight")
            assert (32, 18, 6 * 3 * 18) == (q4.block_size, q4.block_bytes, q4.nbytes)

    def test_plain_and_dequantized_values(self, gguf_path: Path) -> None:
        """F32/F16 read exactly; Q8_0/Q4_0 dequantize close to the source; Q6_K as gguf does."""
        source = gguf_tensors()
        with GGUFFile(gguf_path) as model:
            np.testing.assert_array_equal(source["token_embd.weight"][0], model.read_array("token_embd.weight"))
            np.testing.assert_array_equal(
                source["blk.0.attn_q.weight"][0].astype(np.float16), model.read_array("blk.0.attn_q.weight")
            )
            for name, tolerance in [("blk.0.ffn_up.weight", 0.02), ("blk.0.ffn_down.weight", 0.35)]:
                values = model.read_array(name, dequantize=True)
                assert (np.float32, source[name][0].shape) == (values.dtype.type, values.shape)
                assert tolerance > float(np.abs(values - source[name][0]).max())
            blocks = model.read_array("blk.0.ffn_gate.weight")
            assert (np.uint8, (2, 210)) == (blocks.dtype.type, blocks.shape)
            np.testing.assert_array_equal(
                dequantize(blocks, GGMLQuantizationType.Q6_K), model.read_array("blk.0.ffn_gate.weight", True)
            )


def _brief(model: GGUFFile, name: str) -> tuple[str, tuple[int, ...], str | None]:
    info = model.tensor_info(name)
    return info.dtype, info.shape, info.quant_type


class TestMetadata:
    """Key/values come back with their values and types; the tokenizer is surfaced."""

    def test_key_values_and_tokenizer(self, gguf_path: Path) -> None:
        """Scalars, strings and arrays read back; tokens become the tokenizer; arch is llama."""
        with open_model(gguf_path) as model:
            meta = model.metadata
        kv = meta["gguf"]
        assert "llama" == meta["architecture"]
        assert ("tiny test model", 1, True, 2**40) == (
            kv["general.name"], kv["llama.block_count"], kv["general.is_test"], kv["general.big"]
        )
        assert pytest.approx(1e-5) == kv["llama.attention.layer_norm_rms_epsilon"]
        assert ["<s>", "</s>", "hello", "wörld", "\u2581x"] == meta["tokenizer"]["tokens"]
        assert [3, 3, 1, 1, 1] == kv["tokenizer.ggml.token_type"]
        assert ["ARRAY", "STRING"] == meta["gguf_types"]["tokenizer.ggml.tokens"]
        assert ["UINT64", None] == meta["gguf_types"]["general.big"]
        assert (3, 32) == (meta["gguf_version"], meta["gguf_alignment"])


def _tensor_offset_position(data: bytes, name: str) -> tuple[int, int]:
    """Where the offset field of ``name``'s tensor info sits in the header, and its value."""
    at = data.index(struct.pack("<Q", len(name)) + name.encode())
    pos = at + 8 + len(name)
    (n_dims,) = struct.unpack_from("<I", data, pos)
    pos += 4 + 8 * n_dims + 4
    return pos, struct.unpack_from("<Q", data, pos)[0]


class TestBadFiles:
    """Out-of-bounds offsets, absurd counts and wrong magic are refused before data is touched."""

    def test_tensor_offset_outside_file(self, gguf_path: Path, tmp_path: Path) -> None:
        """A tensor offset pointing past the end of the file is refused, naming the tensor."""
        data = bytearray(gguf_path.read_bytes())
        pos, _ = _tensor_offset_position(bytes(data), "blk.0.ffn_up.weight")
        struct.pack_into("<Q", data, pos, 1 << 40)
        bad = tmp_path / "bad.gguf"
        bad.write_bytes(bytes(data))
        with pytest.raises(CorruptModelFileError, match=r"'blk.0.ffn_up.weight'.*outside the file") as err:
            open_model(bad)
        assert str(bad) in str(err.value)

    def test_truncated_data(self, gguf_path: Path, tmp_path: Path) -> None:
        """A file cut inside its tensor data is refused (the last tensor points outside)."""
        bad = tmp_path / "cut.gguf"
        bad.write_bytes(gguf_path.read_bytes()[:-100])
        with pytest.raises(CorruptModelFileError, match="outside the file"):
            GGUFFile(bad)

    def test_overlapping_and_misaligned_tensors(self, gguf_path: Path, tmp_path: Path) -> None:
        """Offsets that overlap another tensor or break the alignment are refused."""
        data = bytearray(gguf_path.read_bytes())
        pos, _ = _tensor_offset_position(bytes(data), "blk.0.attn_q.weight")
        struct.pack_into("<Q", data, pos, 0)
        (tmp_path / "overlap.gguf").write_bytes(bytes(data))
        with pytest.raises(CorruptModelFileError, match="overlaps"):
            GGUFFile(tmp_path / "overlap.gguf")
        struct.pack_into("<Q", data, pos, 8)
        (tmp_path / "misaligned.gguf").write_bytes(bytes(data))
        with pytest.raises(CorruptModelFileError, match="not 32-aligned"):
            GGUFFile(tmp_path / "misaligned.gguf")

    def test_absurd_counts_and_lengths(self, gguf_path: Path, tmp_path: Path) -> None:
        """Huge key/value counts or string lengths are refused before any allocation."""
        data = bytearray(gguf_path.read_bytes())
        struct.pack_into("<Q", data, 16, 1 << 60)
        (tmp_path / "count.gguf").write_bytes(bytes(data))
        with pytest.raises(CorruptModelFileError, match="cannot fit"):
            GGUFFile(tmp_path / "count.gguf")
        data = bytearray(gguf_path.read_bytes())
        struct.pack_into("<Q", data, 24, 1 << 50)  # length of the first key
        (tmp_path / "string.gguf").write_bytes(bytes(data))
        with pytest.raises(CorruptModelFileError, match="past the end"):
            GGUFFile(tmp_path / "string.gguf")

    def test_unsupported_version(self, gguf_path: Path, tmp_path: Path) -> None:
        """GGUF v1 and big-endian files are refused as unsupported."""
        data = bytearray(gguf_path.read_bytes())
        struct.pack_into("<I", data, 4, 1)
        (tmp_path / "v1.gguf").write_bytes(bytes(data))
        with pytest.raises(UnsupportedModelFormatError, match="version 1"):
            GGUFFile(tmp_path / "v1.gguf")
        struct.pack_into(">I", data, 4, 3)
        (tmp_path / "be.gguf").write_bytes(bytes(data))
        with pytest.raises(UnsupportedModelFormatError, match="big-endian"):
            GGUFFile(tmp_path / "be.gguf")
