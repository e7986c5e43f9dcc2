"""GGUF reader: our own bounds-checked header parse, data mmapped, ``gguf`` for dequantizing.

Tensors keep their stored type: float and integer types read as arrays, block-quantized types
(Q8_0, Q4_0, K-quants...) as their raw blocks, with a ``float32`` view through
``gguf.quants.dequantize`` on request. Dimensions come out row-major (GGUF stores them
fastest-first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf import quants as gguf_quants

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import UnsupportedModelFormatError
from hartonomous.formats.gguf_header import GGUFHeader, GGUFKeyValue, parse_header
from hartonomous.formats.model import BaseModelFile, TensorInfo
from hartonomous.formats.sidecar import guess_architecture

# ggml element types that are plain arrays, by our dtype names
_PLAIN: dict[GGMLQuantizationType, str] = {
    GGMLQuantizationType.F32: "F32", GGMLQuantizationType.F16: "F16",
    GGMLQuantizationType.BF16: "BF16", GGMLQuantizationType.F64: "F64",
    GGMLQuantizationType.I8: "I8", GGMLQuantizationType.I16: "I16",
    GGMLQuantizationType.I32: "I32", GGMLQuantizationType.I64: "I64",
}
_BY_NAME: dict[str, GGMLQuantizationType] = {t.name: t for t in GGMLQuantizationType}


def ggml_type_of(info: TensorInfo) -> GGMLQuantizationType:
    """The ggml type of a tensor info (its ``dtype`` name, for plain and quantized types alike)."""
    try:
        return _BY_NAME[info.dtype]
    except KeyError:
        raise ValueError(f"{info.name!r}: {info.dtype} has no ggml type") from None


def tensor_info_for(name: str, ggml_type: GGMLQuantizationType, shape: tuple[int, ...], offset: int | None = None) -> TensorInfo:
    """A :class:`TensorInfo` for a GGUF tensor of ``ggml_type`` and row-major ``shape``."""
    block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    numel = 1
    for d in shape:
        numel *= d
    nbytes = numel // block_size * type_size
    if ggml_type in _PLAIN:
        return TensorInfo(name, _PLAIN[ggml_type], shape, nbytes, offset)
    return TensorInfo(name, ggml_type.name, shape, nbytes, offset, ggml_type.name, block_size, type_size)


def _tokenizer(kv: dict[str, Any]) -> dict[str, Any] | None:
    tokens = kv.get("tokenizer.ggml.tokens")
    if not isinstance(tokens, list):
        return None
    return {"source": "gguf", "model": kv.get("tokenizer.ggml.model"), "tokens": tokens}


class GGUFFile(BaseModelFile):
    """A GGUF v2/v3 file: metadata key/values with their types, tensors as stored."""

    format = "gguf"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        mm = self._open_mmap()
        try:
            header = parse_header(self.path, mm, len(mm))
        except BaseException:
            self.close()
            raise
        self.header: GGUFHeader = header
        for entry in header.tensors:
            shape = tuple(reversed(entry.dims))
            self._infos[entry.name] = tensor_info_for(
                entry.name, entry.ggml_type, shape, header.data_offset + entry.offset
            )
        kv = {item.key: item.value for item in header.kvs}
        self._metadata = {
            "format": self.format,
            "architecture": kv.get("general.architecture") or guess_architecture(None, self._infos),
            "config": None,
            "tokenizer": _tokenizer(kv),
            "gguf": kv,
            "gguf_types": {item.key: [item.type.name, item.sub_type.name if item.sub_type else None] for item in header.kvs},
            "gguf_version": header.version,
            "gguf_alignment": header.alignment,
        }

    @property
    def kvs(self) -> tuple[GGUFKeyValue, ...]:
        """The metadata key/values in file order, with their GGUF types (for a faithful rewrite)."""
        return self.header.kvs

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """Plain types as arrays; quantized types as raw ``uint8`` blocks or, dequantized, ``float32``.

        Raw blocks have the row-major shape with the last dimension in bytes
        (``gguf.quants.quant_shape_to_byte_shape``).
        """
        info = self.tensor_info(name)
        raw = self.read_raw(name)
        if not info.is_quantized:
            return dtypes.decode(raw, info.dtype, info.shape, as_float=dequantize)
        qtype = ggml_type_of(info)
        blocks = np.frombuffer(raw, dtype=np.uint8).reshape(gguf_quants.quant_shape_to_byte_shape(info.shape, qtype))
        if not dequantize:
            return blocks
        try:
            return gguf_quants.dequantize(blocks, qtype)
        except NotImplementedError:
            raise UnsupportedModelFormatError(
                self.path, f"tensor {name!r}: the gguf package cannot dequantize {qtype.name}"
            ) from None
