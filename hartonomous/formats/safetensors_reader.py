"""safetensors reader: the header parsed and validated here, the data mmapped.

Layout: an 8-byte little-endian header length N, N bytes of JSON (``{name: {dtype, shape,
data_offsets}}`` plus an optional ``__metadata__`` of strings), then the data region, which the
tensors' ``data_offsets`` (relative to its start) must tile exactly: in bounds, no overlap, no
holes, nothing after the last tensor (the rules of the reference implementation).
"""

from __future__ import annotations

import json
import math
import mmap
import struct
from pathlib import Path
from typing import Any

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import CorruptModelFileError
from hartonomous.formats.model import BaseModelFile, TensorInfo
from hartonomous.formats.sidecar import hf_metadata

HEADER_MAX_BYTES = 100 * 1024 * 1024
METADATA_KEY = "__metadata__"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in header")
        out[key] = value
    return out


def read_header(path: Path, data: bytes | memoryview | mmap.mmap, file_size: int) -> tuple[dict[str, Any], int]:
    """Parse and bound-check the header; return it and the absolute start of the data region."""
    if file_size < 8:
        raise CorruptModelFileError(path, f"file is {file_size} bytes, shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", bytes(data[:8]))
    if length > HEADER_MAX_BYTES:
        raise CorruptModelFileError(
            path, f"header length {length} exceeds the {HEADER_MAX_BYTES}-byte cap"
        )
    if 8 + length > file_size:
        raise CorruptModelFileError(
            path, f"truncated: header length {length} runs past the end of the {file_size}-byte file"
        )
    raw = bytes(data[8 : 8 + length])
    if not raw.startswith(b"{"):
        raise CorruptModelFileError(path, "header does not start with '{'")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptModelFileError(path, f"header is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(header, dict):
        raise CorruptModelFileError(path, "header is not a JSON object")
    return header, 8 + length


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(path: Path, name: str, entry: Any, base: int) -> TensorInfo:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CorruptModelFileError(path, f"tensor {name!r}: entry must have exactly dtype, shape, data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or not dtypes.is_known(dtype):
        raise CorruptModelFileError(path, f"tensor {name!r}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
        raise CorruptModelFileError(path, f"tensor {name!r}: shape {shape!r} is not a list of non-negative ints")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
        raise CorruptModelFileError(path, f"tensor {name!r}: data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    if end < begin:
        raise CorruptModelFileError(path, f"tensor {name!r}: data_offsets end {end} < begin {begin}")
    expected = math.prod(shape) * dtypes.itemsize(dtype)
    if end - begin != expected:
        raise CorruptModelFileError(
            path, f"tensor {name!r}: {dtype}{shape} needs {expected} bytes but data_offsets span {end - begin}"
        )
    return TensorInfo(name=name, dtype=dtype, shape=tuple(shape), nbytes=expected, offset=base + begin)


def validate_layout(path: Path, infos: list[TensorInfo], base: int, file_size: int) -> list[TensorInfo]:
    """Sort tensors by offset and check that they tile the data region exactly."""
    data_size = file_size - base
    ordered = sorted(infos, key=lambda i: (i.offset or 0, i.nbytes))
    cursor = 0
    for info in ordered:
        begin = (info.offset or 0) - base
        end = begin + info.nbytes
        if end > data_size:
            raise CorruptModelFileError(
                path, f"tensor {info.name!r}: data_offsets [{begin}, {end}] run past the end of the "
                f"{data_size}-byte data region (file truncated or header corrupt)"
            )
        if begin < cursor:
            raise CorruptModelFileError(
                path, f"tensor {info.name!r}: data_offsets [{begin}, {end}] overlap the previous tensor "
                f"(which ends at {cursor})"
            )
        if begin > cursor:
            raise CorruptModelFileError(path, f"data region has a hole of {begin - cursor} bytes at {cursor}")
        cursor = end
    if cursor != data_size:
        raise CorruptModelFileError(
            path, f"data region is {data_size} bytes but the tensors cover {cursor} (trailing bytes)"
        )
    return ordered


class SafetensorsFile(BaseModelFile):
    """A ``.safetensors`` file: validated header, zero-copy tensors over a read-only mmap."""

    format = "safetensors"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        mm = self._open_mmap()
        try:
            header, base = read_header(self.path, mm, len(mm))
            meta = header.pop(METADATA_KEY, None)
            if meta is not None and not (
                isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
            ):
                raise CorruptModelFileError(self.path, "__metadata__ must map strings to strings")
            infos = [_entry(self.path, name, entry, base) for name, entry in header.items()]
            ordered = validate_layout(self.path, infos, base, len(mm))
        except BaseException:
            self.close()
            raise
        self._infos = {info.name: info for info in ordered}
        self._metadata = hf_metadata(self.format, self.path, self._infos)
        self._metadata["safetensors_metadata"] = dict(meta or {})
        self.data_offset = base
