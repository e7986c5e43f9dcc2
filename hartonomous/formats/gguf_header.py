"""A bounds-checked parser of the GGUF header (versions 2 and 3, little-endian).

Layout: ``GGUF`` magic, uint32 version, uint64 tensor count, uint64 key/value count, the
key/values, the tensor infos (name, dims fastest-first, ggml type, offset relative to the data
section), padding to ``general.alignment`` (32 by default), then the data. Every count, length
and offset is checked against the file size before anything is allocated or read, because GGUF
parsers have had memory-safety bugs from trusting them.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from hartonomous.formats.exceptions import CorruptModelFileError, UnsupportedModelFormatError

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4
MAX_ARRAY_DEPTH = 4
_SCALARS: dict[int, str] = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?", GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}


@dataclass(frozen=True, slots=True)
class GGUFKeyValue:
    """One metadata entry with its GGUF value type (and element type for arrays)."""

    key: str
    value: Any
    type: GGUFValueType
    sub_type: GGUFValueType | None = None


@dataclass(frozen=True, slots=True)
class GGUFTensorEntry:
    """A tensor info as stored: dims fastest-first, offset relative to the data section."""

    name: str
    dims: tuple[int, ...]
    ggml_type: GGMLQuantizationType
    offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class GGUFHeader:
    """The parsed header of a GGUF file."""

    version: int
    kvs: tuple[GGUFKeyValue, ...]
    tensors: tuple[GGUFTensorEntry, ...]
    alignment: int
    data_offset: int


class _Cursor:
    def __init__(self, path: Path, buf: Any, size: int) -> None:
        self.path, self.buf, self.size, self.pos = path, buf, size, 0

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise CorruptModelFileError(
                self.path, f"{what} at byte {self.pos} needs {n} bytes, past the end of the {self.size}-byte file"
            )

    def unpack(self, fmt: str, what: str) -> Any:
        n = struct.calcsize(fmt)
        self.need(n, what)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value

    def string(self, what: str) -> str:
        length = self.unpack("<Q", what)
        self.need(length, what)
        raw = bytes(self.buf[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="surrogateescape")

    def count(self, min_item: int, what: str) -> int:
        n = self.unpack("<Q", what)
        if n * min_item > self.size - self.pos:
            raise CorruptModelFileError(self.path, f"{what} {n} cannot fit in the rest of the file")
        return int(n)


def _value_type(cur: _Cursor, raw: int, what: str) -> GGUFValueType:
    try:
        return GGUFValueType(raw)
    except ValueError:
        raise CorruptModelFileError(cur.path, f"{what}: unknown value type {raw}") from None


def _read_value(cur: _Cursor, vtype: GGUFValueType, what: str, depth: int = 0) -> tuple[Any, GGUFValueType | None]:
    if vtype in _SCALARS:
        return cur.unpack(_SCALARS[vtype], what), None
    if vtype == GGUFValueType.STRING:
        return cur.string(what), None
    if depth >= MAX_ARRAY_DEPTH:
        raise CorruptModelFileError(cur.path, f"{what}: arrays nested deeper than {MAX_ARRAY_DEPTH}")
    sub = _value_type(cur, cur.unpack("<I", what), what)
    if sub in _SCALARS:
        fmt = _SCALARS[sub]
        n = cur.count(struct.calcsize(fmt), f"{what} array length")
        arr = np.frombuffer(cur.buf, dtype=np.dtype(fmt), count=n, offset=cur.pos)
        cur.pos += arr.nbytes
        return arr.tolist(), sub
    n = cur.count(8 if sub == GGUFValueType.STRING else 12, f"{what} array length")
    return [_read_value(cur, sub, what, depth + 1)[0] for _ in range(n)], sub


def _tensor_entry(cur: _Cursor) -> GGUFTensorEntry:
    name = cur.string("tensor name")
    n_dims = cur.unpack("<I", f"tensor {name!r} n_dims")
    if n_dims > MAX_DIMS:
        raise CorruptModelFileError(cur.path, f"tensor {name!r}: {n_dims} dimensions (max {MAX_DIMS})")
    dims = tuple(int(cur.unpack("<Q", f"tensor {name!r} dims")) for _ in range(n_dims))
    raw_type = cur.unpack("<I", f"tensor {name!r} type")
    offset = int(cur.unpack("<Q", f"tensor {name!r} offset"))
    try:
        ggml_type = GGMLQuantizationType(raw_type)
        block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    except (ValueError, KeyError):
        raise UnsupportedModelFormatError(cur.path, f"tensor {name!r}: unknown ggml type {raw_type}") from None
    numel = math.prod(dims)
    if dims and dims[0] % block_size:
        raise CorruptModelFileError(
            cur.path, f"tensor {name!r}: row of {dims[0]} is not a multiple of the {ggml_type.name} block {block_size}"
        )
    nbytes = numel // block_size * type_size
    if nbytes > cur.size:
        raise CorruptModelFileError(cur.path, f"tensor {name!r}: {nbytes} bytes is larger than the whole file")
    return GGUFTensorEntry(name, dims, ggml_type, offset, nbytes)


def parse_header(path: Path, buf: Any, size: int) -> GGUFHeader:
    """Parse and validate the header in ``buf`` (the mapped file of ``size`` bytes)."""
    cur = _Cursor(path, buf, size)
    cur.need(4, "magic")
    if bytes(buf[:4]) != GGUF_MAGIC:
        raise UnsupportedModelFormatError(path, "not a GGUF file (bad magic)")
    cur.pos = 4
    version = cur.unpack("<I", "version")
    if version not in (2, 3):
        kind = "big-endian GGUF" if version > 0xFFFF else f"GGUF version {version}"
        raise UnsupportedModelFormatError(path, f"{kind} is not supported (only little-endian v2/v3)")
    n_tensors = cur.unpack("<Q", "tensor count")
    n_kv = cur.unpack("<Q", "key/value count")
    if n_kv * 12 > size or n_tensors * 28 > size:
        raise CorruptModelFileError(path, f"{n_kv} key/values and {n_tensors} tensors cannot fit in the file")
    kvs: list[GGUFKeyValue] = []
    seen: set[str] = set()
    for _ in range(n_kv):
        key = cur.string("metadata key")
        if key in seen:
            raise CorruptModelFileError(path, f"duplicate metadata key {key!r}")
        seen.add(key)
        vtype = _value_type(cur, cur.unpack("<I", f"type of {key!r}"), key)
        value, sub = _read_value(cur, vtype, key)
        kvs.append(GGUFKeyValue(key, value, vtype, sub))
    alignment = next((int(kv.value) for kv in kvs if kv.key == "general.alignment"), DEFAULT_ALIGNMENT)
    if alignment <= 0 or alignment & (alignment - 1):
        raise CorruptModelFileError(path, f"general.alignment {alignment} is not a power of two")
    entries = [_tensor_entry(cur) for _ in range(n_tensors)]
    data_offset = -(-cur.pos // alignment) * alignment
    _check_tensor_bounds(path, entries, data_offset, alignment, size)
    return GGUFHeader(version, tuple(kvs), tuple(entries), alignment, data_offset)


def _check_tensor_bounds(
    path: Path, entries: list[GGUFTensorEntry], data_offset: int, alignment: int, size: int
) -> None:
    names: set[str] = set()
    for entry in entries:
        if entry.name in names:
            raise CorruptModelFileError(path, f"duplicate tensor name {entry.name!r}")
        names.add(entry.name)
        if entry.offset % alignment:
            raise CorruptModelFileError(path, f"tensor {entry.name!r}: offset {entry.offset} is not {alignment}-aligned")
        end = data_offset + entry.offset + entry.nbytes
        if end > size:
            raise CorruptModelFileError(
                path, f"tensor {entry.name!r}: offset {entry.offset} + {entry.nbytes} bytes points outside the "
                f"file (data ends at {end}, file is {size} bytes)"
            )
    cursor, prev = 0, ""
    for entry in sorted(entries, key=lambda e: (e.offset, e.nbytes)):
        if entry.offset < cursor and entry.nbytes:
            raise CorruptModelFileError(path, f"tensor {entry.name!r} overlaps tensor {prev!r}")
        if entry.nbytes:
            cursor, prev = entry.offset + entry.nbytes, entry.name
