"""Small real model files for tests, good and bad, built in a folder you give (no hub, no network).

Good: a tiny BERT-style folder (safetensors, config.json, tokenizer.json), a GGUF with F32, F16,
Q8_0 and Q4_0 tensors written by the ``gguf`` package. Bad, each of which the store must refuse
with nothing stored: a torch checkpoint whose pickle would run ``touch <marker>``, a truncated
safetensors, a safetensors whose offsets overlap, a GGUF whose tensor offset points outside the
file, an ONNX model whose external data path escapes its folder.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from hartonomous.formats import TensorInfo, write_safetensors

TINY = {"vocab": 64, "hidden": 32, "heads": 4, "layers": 2, "intermediate": 64, "positions": 16}


def tiny_bert_tensors(seed: int = 0, **shape: int) -> dict[str, np.ndarray]:
    """BERT-named float32 tensors of a tiny encoder (MiniLM's names, small sizes)."""
    s = {**TINY, **shape}
    rng = np.random.default_rng(seed)
    h, f = s["hidden"], s["intermediate"]

    def w(*dims: int) -> np.ndarray:
        return (rng.standard_normal(dims) * 0.05).astype(np.float32)

    out = {
        "embeddings.word_embeddings.weight": w(s["vocab"], h),
        "embeddings.position_embeddings.weight": w(s["positions"], h),
        "embeddings.token_type_embeddings.weight": w(2, h),
        "embeddings.LayerNorm.weight": np.ones(h, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(h, np.float32),
    }
    for i in range(s["layers"]):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            out[p + part + ".weight"], out[p + part + ".bias"] = w(h, h), w(h)
        out[p + "attention.output.LayerNorm.weight"], out[p + "attention.output.LayerNorm.bias"] = w(h) + 1, w(h)
        out[p + "intermediate.dense.weight"], out[p + "intermediate.dense.bias"] = w(f, h), w(f)
        out[p + "output.dense.weight"], out[p + "output.dense.bias"] = w(h, f), w(h)
        out[p + "output.LayerNorm.weight"], out[p + "output.LayerNorm.bias"] = w(h) + 1, w(h)
    out["pooler.dense.weight"], out["pooler.dense.bias"] = w(h, h), w(h)
    return out


def write_tensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> Path:
    """A safetensors file of numpy arrays (float32/float16/int64...)."""
    from hartonomous.formats import dtypes

    infos = [TensorInfo(n, dtypes.dtype_name(a.dtype), a.shape, a.nbytes) for n, a in tensors.items()]
    write_safetensors(path, infos, lambda n: np.ascontiguousarray(tensors[n]).tobytes(), metadata)
    return path


def write_tiny_bert(folder: Path, seed: int = 0, **shape: int) -> Path:
    """A Hugging Face style folder: ``model.safetensors``, ``config.json``, ``tokenizer.json``."""
    s = {**TINY, **shape}
    folder.mkdir(parents=True, exist_ok=True)
    write_tensors(folder / "model.safetensors", tiny_bert_tensors(seed, **shape), {"source": "hartonomous-test"})
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": s["hidden"],
        "num_attention_heads": s["heads"], "num_hidden_layers": s["layers"], "intermediate_size": s["intermediate"],
        "vocab_size": s["vocab"], "max_position_embeddings": s["positions"], "type_vocab_size": 2,
        "hidden_act": "gelu", "layer_norm_eps": 1e-12,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{f"tok{i}": i for i in range(4, s["vocab"])}}
    (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "WordPiece", "vocab": vocab}}))
    return folder


def write_tiny_gguf(path: Path, seed: int = 7) -> Path:
    """A GGUF v3 (``gguf.GGUFWriter``) with F32, F16, Q8_0 and Q4_0 tensors and tokenizer keys."""
    from gguf import GGMLQuantizationType as T
    from gguf import GGUFWriter
    from gguf.quants import quantize

    rng = np.random.default_rng(seed)
    writer = GGUFWriter(path, "llama")
    writer.add_name("tiny gguf")
    writer.add_uint32("llama.block_count", 1)
    writer.add_uint32("llama.attention.head_count", 2)
    writer.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    writer.add_string("tokenizer.ggml.model", "gpt2")
    writer.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(16)])
    tensors = {
        "token_embd.weight": (rng.standard_normal((16, 64)).astype(np.float32), T.F32),
        "blk.0.attn_norm.weight": (rng.standard_normal(64).astype(np.float32), T.F32),
        "blk.0.attn_q.weight": (rng.standard_normal((64, 64)).astype(np.float32), T.F16),
        "blk.0.ffn_up.weight": (rng.standard_normal((96, 64)).astype(np.float32), T.Q8_0),
        "blk.0.ffn_down.weight": (rng.standard_normal((64, 96)).astype(np.float32), T.Q4_0),
        "output.weight": (rng.standard_normal((16, 64)).astype(np.float32), T.Q8_0),
    }
    for name, (values, qtype) in tensors.items():
        if qtype == T.F32:
            writer.add_tensor(name, values)
        elif qtype == T.F16:
            writer.add_tensor(name, values.astype(np.float16))
        else:
            writer.add_tensor(name, quantize(values, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


class _Marker:
    """Pickles to a call of ``os.system`` that would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def write_marker_pickle(path: Path, marker: Path) -> Path:
    """A torch-style zip checkpoint whose ``data.pkl`` would run ``touch marker`` if unpickled."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"weight": _Marker(marker)}, protocol=2))
        zf.writestr("archive/version", "3\n")
    return path


def write_truncated(source: Path, path: Path, cut: int = 100) -> Path:
    """``source`` without its last ``cut`` bytes."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) - cut])
    return path


def write_overlapping_safetensors(path: Path) -> Path:
    """A safetensors file whose two tensors' data_offsets overlap."""
    header = {
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(24))
    return path


def write_gguf_offset_outside(path: Path) -> Path:
    """A valid tiny GGUF whose last tensor's offset is then pointed past the end of the file."""
    write_tiny_gguf(path)
    data = bytearray(path.read_bytes())
    name = b"output.weight"
    at = data.rindex(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    (n_dims,) = struct.unpack_from("<I", data, at)
    offset_at = at + 4 + 8 * n_dims + 4
    struct.pack_into("<Q", data, offset_at, (len(data) // 32 + 1000) * 32)
    path.write_bytes(bytes(data))
    return path


def write_onnx_escaping(folder: Path) -> Path:
    """An ONNX model in ``folder`` whose initializer's external data is ``../outside.bin``."""
    import onnx
    from onnx import TensorProto, helper

    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / "outside.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    weight = TensorProto()
    weight.name = "w"
    weight.data_type = TensorProto.FLOAT
    weight.dims.extend([4])
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../outside.bin"), ("offset", "0"), ("length", "16")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    node = helper.make_node("Add", ["x", "w"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [weight])
    path = folder / "model.onnx"
    onnx.save_model(helper.make_model(graph), str(path), save_as_external_data=False)
    return path
