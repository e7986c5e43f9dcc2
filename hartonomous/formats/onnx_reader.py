"""ONNX reader: initializers as tensors; external data confined to the model's own folder.

The protobuf is parsed with ``load_external_data=False`` (so ``onnx`` never opens a path named
in the file). Each external-data ``location`` is then resolved by us: relative, no ``..``, and
after following symlinks still inside the model's folder, with ``offset + length`` inside the
data file. Any violation refuses the whole file before a byte of external data is read.
Embedded initializers live in the parsed protobuf (ONNX caps those at 2 GB); external ones are
read one tensor at a time.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import CorruptModelFileError, UnsafeModelFileError, UnsupportedModelFormatError
from hartonomous.formats.model import BaseModelFile, Buffer, TensorInfo
from hartonomous.formats.sidecar import hf_metadata

_DTYPES: dict[int, str] = {
    TensorProto.FLOAT: "F32", TensorProto.UINT8: "U8", TensorProto.INT8: "I8", TensorProto.UINT16: "U16",
    TensorProto.INT16: "I16", TensorProto.INT32: "I32", TensorProto.INT64: "I64", TensorProto.BOOL: "BOOL",
    TensorProto.FLOAT16: "F16", TensorProto.DOUBLE: "F64", TensorProto.UINT32: "U32", TensorProto.UINT64: "U64",
    TensorProto.BFLOAT16: "BF16", TensorProto.FLOAT8E4M3FN: "F8_E4M3", TensorProto.FLOAT8E5M2: "F8_E5M2",
}


def resolve_external_path(model_path: Path, location: str) -> Path:
    """The data file named by ``location``, refused unless it stays inside the model's folder."""
    if not location or "\x00" in location:
        raise UnsafeModelFileError(model_path, f"external data location {location!r} is empty or has a NUL byte")
    for pure in (PurePosixPath(location), PureWindowsPath(location)):
        if pure.is_absolute() or pure.drive or pure.root:
            raise UnsafeModelFileError(model_path, f"external data location {location!r} is an absolute path")
        if ".." in pure.parts:
            raise UnsafeModelFileError(model_path, f"external data location {location!r} escapes the model folder ('..')")
    folder = model_path.parent.resolve()
    target = (folder / location).resolve()
    if not target.is_relative_to(folder) or target == folder:
        raise UnsafeModelFileError(
            model_path, f"external data location {location!r} resolves to {target}, outside the model folder {folder}"
        )
    if not target.is_file():
        raise CorruptModelFileError(model_path, f"external data file {location!r} is missing or not a regular file")
    return target


def _external(model_path: Path, proto: TensorProto, nbytes: int) -> tuple[Path, int]:
    fields = {entry.key: entry.value for entry in proto.external_data}
    target = resolve_external_path(model_path, fields.get("location", ""))
    try:
        offset = int(fields.get("offset", "0"))
        length = int(fields["length"]) if "length" in fields else nbytes
    except ValueError:
        raise CorruptModelFileError(model_path, f"tensor {proto.name!r}: external offset/length not integers") from None
    if offset < 0 or length != nbytes:
        raise CorruptModelFileError(
            model_path, f"tensor {proto.name!r}: external length {length} (offset {offset}) != expected {nbytes} bytes"
        )
    size = target.stat().st_size
    if offset + length > size:
        raise CorruptModelFileError(
            model_path, f"tensor {proto.name!r}: external data [{offset}, {offset + length}) runs past the end of "
            f"{target.name} ({size} bytes)"
        )
    return target, offset


class OnnxFile(BaseModelFile):
    """An ONNX model: its graph's initializers, in graph order."""

    format = "onnx"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        try:
            model = onnx.load(str(self.path), load_external_data=False)
        except Exception as exc:  # protobuf raises DecodeError and friends
            raise CorruptModelFileError(self.path, f"not a parseable ONNX ModelProto: {exc}") from None
        if not model.HasField("graph"):
            raise UnsupportedModelFormatError(self.path, "protobuf has no ONNX graph")
        self._protos: dict[str, TensorProto] = {}
        self._external: dict[str, tuple[Path, int]] = {}
        skipped: list[dict[str, str]] = []
        for proto in model.graph.initializer:
            if proto.name in self._protos:
                raise CorruptModelFileError(self.path, f"duplicate initializer {proto.name!r}")
            dtype = _DTYPES.get(proto.data_type)
            if dtype is None:
                skipped.append({"name": proto.name, "reason": f"data type {proto.data_type} not supported"})
                continue
            shape = tuple(int(d) for d in proto.dims)
            if any(d < 0 for d in shape):
                raise CorruptModelFileError(self.path, f"tensor {proto.name!r}: negative dimension in {shape}")
            nbytes = math.prod(shape) * dtypes.itemsize(dtype)
            if proto.data_location == TensorProto.EXTERNAL:
                self._external[proto.name] = _external(self.path, proto, nbytes)
            self._protos[proto.name] = proto
            self._infos[proto.name] = TensorInfo(proto.name, dtype, shape, nbytes)
        self._metadata = hf_metadata(self.format, self.path, self._infos)
        self._metadata["onnx"] = {
            "ir_version": model.ir_version,
            "opset_import": {op.domain or "ai.onnx": op.version for op in model.opset_import},
            "producer_name": model.producer_name,
            "producer_version": model.producer_version,
            "graph_name": model.graph.name,
            "inputs": [i.name for i in model.graph.input],
            "outputs": [o.name for o in model.graph.output],
            "skipped_initializers": skipped,
        }

    def _external_bytes(self, name: str) -> bytes:
        target, offset = self._external[name]
        nbytes = self._infos[name].nbytes
        with open(target, "rb") as fh:
            fh.seek(offset)
            data = fh.read(nbytes)
        if len(data) != nbytes:
            raise CorruptModelFileError(self.path, f"tensor {name!r}: external data shrank while reading")
        return data

    def read_raw(self, name: str) -> Buffer:
        """The stored little-endian bytes (raw_data, typed fields re-encoded, or external data)."""
        info = self.tensor_info(name)
        if name in self._external:
            return self._external_bytes(name)
        proto = self._protos[name]
        if proto.HasField("raw_data"):
            if len(proto.raw_data) != info.nbytes:
                raise CorruptModelFileError(self.path, f"tensor {name!r}: raw_data is {len(proto.raw_data)} bytes, expected {info.nbytes}")
            return proto.raw_data
        arr = numpy_helper.to_array(proto)
        return np.ascontiguousarray(arr).view(dtypes.storage_dtype(info.dtype)).astype(
            dtypes.storage_dtype(info.dtype), copy=False
        ).tobytes()

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """The initializer via ``onnx.numpy_helper.to_array`` (BF16/F8 as raw bits unless dequantized)."""
        info = self.tensor_info(name)
        proto = self._protos[name]
        if name in self._external:
            loaded = TensorProto()
            loaded.CopyFrom(proto)
            del loaded.external_data[:]
            loaded.data_location = TensorProto.DEFAULT
            loaded.raw_data = self._external_bytes(name)
            proto = loaded
        try:
            arr: Any = numpy_helper.to_array(proto)
        except Exception as exc:
            raise CorruptModelFileError(self.path, f"tensor {name!r}: {exc}") from None
        if arr.shape != info.shape:
            raise CorruptModelFileError(self.path, f"tensor {name!r}: data has shape {arr.shape}, dims say {info.shape}")
        if dtypes.is_native(info.dtype):
            return np.asarray(arr)
        raw = np.ascontiguousarray(arr).view(dtypes.storage_dtype(info.dtype))
        return dtypes.to_float32(raw, info.dtype) if dequantize else raw

    def close(self) -> None:
        """Drop the parsed protobuf."""
        self._protos = {}
        super().close()
