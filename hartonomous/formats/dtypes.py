"""Element types shared by all formats, named as safetensors names them (``F32``, ``BF16``...).

numpy has no bfloat16 or float8: such tensors are handed out as their raw unsigned storage
(``uint16``/``uint8``) unless a float view is asked for, which is then ``float32``.
"""

from __future__ import annotations

import numpy as np

# name -> numpy storage dtype (little-endian); itemsize is the stored bytes per element
_STORAGE: dict[str, np.dtype[np.generic]] = {
    "BOOL": np.dtype("?"),
    "U8": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "F8_E4M3": np.dtype("u1"),
    "F8_E5M2": np.dtype("u1"),
}
_NOT_NATIVE = frozenset({"BF16", "F8_E4M3", "F8_E5M2"})
FLOAT_DTYPES = frozenset({"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"})
KNOWN_DTYPES = frozenset(_STORAGE)


def is_known(dtype: str) -> bool:
    """Whether ``dtype`` is a plain (non block-quantized) element type we can read."""
    return dtype in _STORAGE


def storage_dtype(dtype: str) -> np.dtype[np.generic]:
    """The numpy dtype that holds the stored bytes of ``dtype`` element by element."""
    try:
        return _STORAGE[dtype]
    except KeyError:
        raise ValueError(f"unknown element type {dtype!r}") from None


def itemsize(dtype: str) -> int:
    """Bytes per element of a plain element type."""
    return storage_dtype(dtype).itemsize


def is_native(dtype: str) -> bool:
    """Whether numpy represents ``dtype`` exactly (no raw-storage stand-in needed)."""
    return dtype in _STORAGE and dtype not in _NOT_NATIVE


def dtype_name(np_dtype: np.dtype[np.generic]) -> str:
    """The name of a native numpy dtype (inverse of :func:`storage_dtype` for native types)."""
    d = np.dtype(np_dtype).newbyteorder("<") if np.dtype(np_dtype).itemsize > 1 else np.dtype(np_dtype)
    for name, stored in _STORAGE.items():
        if name not in _NOT_NATIVE and stored == d:
            return name
    raise ValueError(f"no element type name for numpy dtype {np_dtype}")


def _e4m3fn_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.uint32)
    sign = np.where(codes & 0x80, -1.0, 1.0)
    exp = (codes >> 3) & 0xF
    man = (codes & 0x7).astype(np.float64)
    normal = (1.0 + man / 8.0) * np.exp2(exp.astype(np.float64) - 7.0)
    subnormal = (man / 8.0) * np.exp2(-6.0)
    table = sign * np.where(exp == 0, subnormal, normal)
    table[(codes & 0x7F) == 0x7F] = np.nan
    return table.astype(np.float32)


def to_float32(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Widen raw storage of a non-native float type (BF16, F8) to ``float32``, exactly."""
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if dtype == "F8_E5M2":
        return (raw.astype(np.uint16) << 8).view(np.float16).astype(np.float32)
    if dtype == "F8_E4M3":
        table: np.ndarray = _e4m3fn_table()
        return np.asarray(table[raw], dtype=np.float32)
    raise ValueError(f"{dtype} is not a non-native float type")


def decode(buffer: bytes | memoryview, dtype: str, shape: tuple[int, ...], *, as_float: bool) -> np.ndarray:
    """An array over ``buffer`` (zero-copy when possible) with the given element type and shape.

    Non-native float types come back as raw unsigned storage, or as ``float32`` if ``as_float``.
    """
    arr = np.frombuffer(buffer, dtype=storage_dtype(dtype)).reshape(shape)
    if as_float and dtype in _NOT_NATIVE:
        return to_float32(arr, dtype)
    return arr
