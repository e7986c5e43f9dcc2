"""Recognise a model file by its bytes, never by its name, and open it with the right reader."""

from __future__ import annotations

import struct
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from hartonomous.formats.exceptions import UnsupportedModelFormatError
from hartonomous.formats.model import ModelFile
from hartonomous.formats.safetensors_reader import HEADER_MAX_BYTES


class ModelFormat(str, Enum):
    """The file formats Hartonomous reads."""

    SAFETENSORS = "safetensors"
    GGUF = "gguf"
    ONNX = "onnx"
    TORCH = "torch"


# ModelProto field number -> protobuf wire type (0 varint, 2 length-delimited)
_MODEL_PROTO_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
_ONNX_MAX_FIELDS = 100_000


def _varint(fh: BinaryIO, what: str) -> int:
    shift, value = 0, 0
    while shift < 70:
        byte = fh.read(1)
        if not byte:
            raise ValueError(f"truncated {what}")
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
    raise ValueError(f"overlong {what}")


def looks_like_onnx(path: Path) -> bool:
    """Walk the top-level protobuf fields: all must be ModelProto fields, ending at EOF, with a graph."""
    size = path.stat().st_size
    seen_graph = False
    with open(path, "rb") as fh:
        try:
            for _ in range(_ONNX_MAX_FIELDS):
                if fh.tell() == size:
                    return seen_graph
                tag = _varint(fh, "tag")
                field, wire = tag >> 3, tag & 7
                if _MODEL_PROTO_FIELDS.get(field) != wire:
                    return False
                if wire == 0:
                    _varint(fh, "varint")
                    continue
                length = _varint(fh, "length")
                if fh.tell() + length > size:
                    return False
                seen_graph = seen_graph or field == 7
                fh.seek(length, 1)
        except ValueError:
            return False
    return False


def detect_format(path: str | Path) -> ModelFormat:
    """The format of ``path`` from its leading bytes (and, for ONNX, its protobuf structure)."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK\x03\x04"):
        return ModelFormat.TORCH
    if head.startswith(b"GGUF"):
        return ModelFormat.GGUF
    if len(head) >= 9:
        (length,) = struct.unpack("<Q", head[:8])
        if 2 <= length <= HEADER_MAX_BYTES and head[8:9] == b"{":
            return ModelFormat.SAFETENSORS  # the reader reports a truncated one as corrupt
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        raise UnsupportedModelFormatError(
            path, "a bare pickle (legacy torch.save before 1.6, or not a model): refused, re-save as zip or safetensors"
        )
    if size and looks_like_onnx(path):
        return ModelFormat.ONNX
    raise UnsupportedModelFormatError(path, f"unrecognised model file (first bytes {head[:8].hex()})")


def open_model(path: str | Path) -> ModelFile:
    """Open any supported model file for streaming reads (caller closes it, or uses ``with``)."""
    fmt = detect_format(path)
    if fmt is ModelFormat.SAFETENSORS:
        from hartonomous.formats.safetensors_reader import SafetensorsFile

        return SafetensorsFile(path)
    if fmt is ModelFormat.GGUF:
        from hartonomous.formats.gguf_reader import GGUFFile

        return GGUFFile(path)
    if fmt is ModelFormat.ONNX:
        from hartonomous.formats.onnx_reader import OnnxFile

        return OnnxFile(path)
    from hartonomous.formats.torch_reader import TorchZipFile

    return TorchZipFile(path)

