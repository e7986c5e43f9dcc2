"""Write a safetensors file from raw tensor bytes, one tensor in memory at a time.

The header lists the tensors in the order given, with consecutive ``data_offsets``, compact
JSON and space padding to an 8-byte boundary, as the reference implementation writes it; so a
file it wrote, read and written back here with the same order and metadata, is byte-identical.
``__metadata__`` always carries ``{"format": "pt"}`` (the loaders of transformers expect it).
Tied weights must be written once: the caller picks one name.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import ModelFormatError
from hartonomous.formats.model import Buffer, TensorInfo
from hartonomous.formats.safetensors_reader import HEADER_MAX_BYTES, METADATA_KEY


def build_header(tensors: Sequence[TensorInfo], metadata: Mapping[str, str] | None = None) -> bytes:
    """The length-prefixed, padded header for ``tensors`` laid out in the given order."""
    meta = {**dict(metadata or {}), "format": "pt"}
    header: dict[str, object] = {METADATA_KEY: meta}
    cursor = 0
    for info in tensors:
        if info.name == METADATA_KEY or info.name in header:
            raise ValueError(f"tensor name {info.name!r} is reserved or written twice (tied weights: pick one name)")
        if not dtypes.is_known(info.dtype):
            raise ValueError(f"tensor {info.name!r}: {info.dtype} cannot be stored in safetensors (dequantize first)")
        nbytes = math.prod(info.shape) * dtypes.itemsize(info.dtype)
        header[info.name] = {"dtype": info.dtype, "shape": list(info.shape), "data_offsets": [cursor, cursor + nbytes]}
        cursor += nbytes
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    if len(raw) > HEADER_MAX_BYTES:
        raise ValueError(f"header of {len(raw)} bytes exceeds the {HEADER_MAX_BYTES}-byte cap")
    return len(raw).to_bytes(8, "little") + raw


def write_safetensors(
    path: str | Path,
    tensors: Sequence[TensorInfo],
    read: Callable[[str], Buffer],
    metadata: Mapping[str, str] | None = None,
) -> int:
    """Write ``tensors`` (bytes fetched one at a time by ``read(name)``) to ``path``; return its size.

    Each tensor's bytes must be exactly ``numel x itemsize`` long. The file appears atomically:
    it is written beside ``path`` and renamed into place only when complete.
    """
    path = Path(path)
    header = build_header(tensors, metadata)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with open(tmp, "wb") as out:
            out.write(header)
            for info in tensors:
                data = read(info.name)
                expected = math.prod(info.shape) * dtypes.itemsize(info.dtype)
                if len(memoryview(data).cast("B")) != expected:
                    raise ModelFormatError(
                        path, f"tensor {info.name!r}: got {len(memoryview(data).cast('B'))} bytes, expected {expected}"
                    )
                out.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.stat().st_size
