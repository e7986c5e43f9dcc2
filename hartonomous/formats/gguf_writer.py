"""Write a GGUF file through ``gguf.GGUFWriter``: key/values with their original types, tensors
as their original raw blocks, streamed one at a time.

Given the key/values and tensors of a GGUF file in their original order, the output has the
same tensor bytes; for a file the ``gguf`` package wrote (architecture key first, default or
recorded alignment) it is byte-identical as a whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFValueType, GGUFWriter
from gguf.quants import quant_shape_to_byte_shape

from hartonomous.formats.exceptions import ModelFormatError
from hartonomous.formats.gguf_header import GGUFKeyValue
from hartonomous.formats.gguf_reader import ggml_type_of
from hartonomous.formats.model import Buffer, TensorInfo
from hartonomous.logging import get_logger

ARCH_KEY = "general.architecture"
ALIGNMENT_KEY = "general.alignment"


def kvs_from_metadata(values: Mapping[str, Any], types: Mapping[str, Sequence[str | None]]) -> list[GGUFKeyValue]:
    """Rebuild typed key/values from a reader's ``metadata["gguf"]`` and ``metadata["gguf_types"]``."""
    out = []
    for key, value in values.items():
        type_name, sub_name = types[key]
        out.append(GGUFKeyValue(key, value, GGUFValueType[str(type_name)], GGUFValueType[sub_name] if sub_name else None))
    return out


def _encode(value: Any, vtype: GGUFValueType) -> Any:
    # strings were decoded with surrogateescape, so bytes that were not UTF-8 come back exactly
    if vtype == GGUFValueType.STRING:
        return value.encode("utf-8", errors="surrogateescape") if isinstance(value, str) else value
    return value


def _add_kv(writer: GGUFWriter, kv: GGUFKeyValue) -> None:
    if kv.type == GGUFValueType.ARRAY:
        sub = kv.sub_type
        if not kv.value:
            raise ValueError(f"{kv.key!r}: the gguf package cannot write an empty array")
        items = [_encode(v, sub) for v in kv.value] if sub is not None else list(kv.value)
        writer.add_key_value(kv.key, items, kv.type, sub_type=sub)
    else:
        writer.add_key_value(kv.key, _encode(kv.value, kv.type), kv.type)


def write_gguf(
    path: str | Path,
    kvs: Sequence[GGUFKeyValue],
    tensors: Sequence[TensorInfo],
    read: Callable[[str], Buffer],
) -> int:
    """Write ``kvs`` and ``tensors`` (raw bytes from ``read(name)``) as GGUF v3; return the size.

    ``tensors`` carry their stored ``dtype`` (``F32``, ``F16``, ``Q8_0``...) and row-major shape.
    Empty arrays among ``kvs`` are dropped with a warning (the ``gguf`` package cannot write
    them); arrays of arrays keep their values but the inner element types are re-inferred.
    """
    path = Path(path)
    arch = next((str(kv.value) for kv in kvs if kv.key == ARCH_KEY), "")
    tmp = path.with_name(f".{path.name}.partial")
    writer = GGUFWriter(tmp, arch)
    log = get_logger("formats.gguf_writer", file=str(path))
    try:
        for kv in kvs:
            if kv.key == ARCH_KEY:
                continue
            if kv.type == GGUFValueType.ARRAY and not kv.value:
                log.warning("gguf_empty_array_dropped", key=kv.key)
                continue
            if kv.key == ALIGNMENT_KEY:
                writer.data_alignment = int(kv.value)
            _add_kv(writer, kv)
        for info in tensors:
            qtype = ggml_type_of(info)
            byte_shape = quant_shape_to_byte_shape(info.shape, qtype) if info.shape else (info.nbytes,)
            writer.add_tensor_info(info.name, byte_shape, np.dtype(np.uint8), info.nbytes, raw_dtype=qtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for info in tensors:
            data = np.frombuffer(read(info.name), dtype=np.uint8)
            if data.nbytes != info.nbytes:
                raise ModelFormatError(path, f"tensor {info.name!r}: got {data.nbytes} bytes, expected {info.nbytes}")
            writer.write_tensor_data(data)
        writer.close()
        os.replace(tmp, path)
    finally:
        writer.close()
        tmp.unlink(missing_ok=True)
    return path.stat().st_size
