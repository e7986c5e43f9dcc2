"""PyTorch ``.pt``/``.pth``/``.bin`` zip checkpoints, read without torch and without ``torch.load``.

The zip is opened with :mod:`zipfile`; ``<archive>/data.pkl`` goes through the restricted
unpickler (:mod:`hartonomous.formats.torch_unpickler`), which maps every storage to the record
``<archive>/data/<key>``. Uncompressed records (what ``torch.save`` writes) are read in place
through the mmap; tensors are numpy views built from storage bytes, offset and strides.
Nested containers are flattened to one ``name -> tensor`` dict with dotted names.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import CorruptModelFileError, UnsupportedModelFormatError
from hartonomous.formats.model import BaseModelFile, Buffer, TensorInfo
from hartonomous.formats.sidecar import hf_metadata
from hartonomous.formats.torch_unpickler import StorageRef, TensorRef, unpickle

PICKLE_MAX_BYTES = 512 * 1024 * 1024
_SCALAR_TYPES = (int, float, str, bool, type(None))


def flatten(obj: Any, prefix: str = "") -> tuple[dict[str, TensorRef], dict[str, Any]]:
    """Tensors and scalar leaves of nested dicts/lists, keyed by dotted paths."""
    tensors: dict[str, TensorRef] = {}
    extras: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = [(prefix, obj)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, TensorRef):
            tensors[name or "tensor"] = value
        elif isinstance(value, dict):
            stack.extend((f"{name}.{k}" if name else str(k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list | tuple):
            stack.extend((f"{name}.{i}" if name else str(i), v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, _SCALAR_TYPES):
            extras[name] = value
        else:
            extras[name] = f"<{type(value).__name__}>"
    return tensors, extras


def _is_c_contiguous(shape: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    expected = 1
    for size, step in zip(reversed(shape), reversed(stride)):
        if size != 1 and step != expected:
            return False
        expected *= size
    return True


class TorchZipFile(BaseModelFile):
    """A zip checkpoint written by ``torch.save`` (PyTorch 1.6 and later)."""

    format = "torch"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        mm = self._open_mmap()
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._setup(len(mm))
        except zipfile.BadZipFile as exc:
            self.close()
            raise CorruptModelFileError(self.path, f"not a readable zip: {exc}") from None
        except BaseException:
            self.close()
            raise

    def _setup(self, file_size: int) -> None:
        pkls = [n for n in self._zip.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise UnsupportedModelFormatError(self.path, "zip holds no single <archive>/data.pkl: not a torch checkpoint")
        self._prefix = pkls[0][: -len("data.pkl")]
        byteorder = self._member_bytes(self._prefix + "byteorder", 16).decode() if self._has("byteorder") else "little"
        if byteorder != "little":
            raise UnsupportedModelFormatError(self.path, f"{byteorder}-endian checkpoints are not supported")
        self._record_offsets: dict[str, int] = {}
        self._storages: dict[str, StorageRef] = {}
        root = unpickle(self.path, self._member_bytes(pkls[0], PICKLE_MAX_BYTES), self._storage_for)
        refs, extras = flatten(root)
        self._refs = refs
        for name, ref in refs.items():
            self._infos[name] = self._info(name, ref)
        self._metadata = hf_metadata(self.format, self.path, self._infos)
        self._metadata["torch"] = {"archive": self._prefix.rstrip("/"), "byteorder": byteorder, "extras": extras}

    def _has(self, member: str) -> bool:
        try:
            self._zip.getinfo(self._prefix + member)
        except KeyError:
            return False
        return True

    def _member_bytes(self, name: str, cap: int) -> bytes:
        info = self._zip.getinfo(name)
        if info.file_size > cap:
            raise CorruptModelFileError(self.path, f"zip member {name!r} is {info.file_size} bytes (cap {cap})")
        return self._zip.read(name)

    def _storage_for(self, key: str, dtype: str, numel: int) -> StorageRef:
        name = f"{self._prefix}data/{key}"
        try:
            member = self._zip.getinfo(name)
        except KeyError:
            raise CorruptModelFileError(self.path, f"storage {key!r} has no zip record {name!r}") from None
        if numel < 0 or member.file_size != numel * dtypes.itemsize(dtype):
            raise CorruptModelFileError(
                self.path, f"storage {key!r}: record is {member.file_size} bytes, expected {numel} x {dtype}"
            )
        ref = self._storages.setdefault(key, StorageRef(key, dtype, numel))
        if member.compress_type == zipfile.ZIP_STORED and key not in self._record_offsets:
            self._record_offsets[key] = self._stored_offset(member)
        return ref

    def _stored_offset(self, member: zipfile.ZipInfo) -> int:
        assert self._mmap is not None
        start = member.header_offset
        if start + 30 > len(self._mmap) or bytes(self._mmap[start : start + 4]) != b"PK\x03\x04":
            raise CorruptModelFileError(self.path, f"zip record {member.filename!r}: bad local header")
        name_len, extra_len = struct.unpack_from("<HH", self._mmap, start + 26)
        data_start = start + 30 + int(name_len) + int(extra_len)
        if data_start + member.file_size > len(self._mmap) or member.compress_size != member.file_size:
            raise CorruptModelFileError(self.path, f"zip record {member.filename!r} runs past the end of the file")
        return data_start

    def _info(self, name: str, ref: TensorRef) -> TensorInfo:
        storage = ref.storage
        if ref.storage.dtype not in dtypes.KNOWN_DTYPES:
            raise UnsupportedModelFormatError(self.path, f"tensor {name!r}: storage type {storage.dtype}")
        numel = int(np.prod(ref.shape, dtype=np.int64)) if ref.shape else 1
        if len(ref.stride) != len(ref.shape) or ref.offset < 0 or any(s < 0 for s in ref.shape + ref.stride):
            raise CorruptModelFileError(self.path, f"tensor {name!r}: bad size {ref.shape} / stride {ref.stride}")
        if numel:
            last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride))
            if last >= storage.numel:
                raise CorruptModelFileError(
                    self.path, f"tensor {name!r}: view reaches element {last} of a {storage.numel}-element storage"
                )
        itemsize = dtypes.itemsize(storage.dtype)
        offset = None
        if storage.key in self._record_offsets and _is_c_contiguous(ref.shape, ref.stride):
            offset = self._record_offsets[storage.key] + ref.offset * itemsize
        return TensorInfo(name, storage.dtype, ref.shape, numel * itemsize, offset)

    def _storage_array(self, storage: StorageRef) -> np.ndarray:
        if storage.key in self._record_offsets:
            raw: Buffer = self._view(self._record_offsets[storage.key], storage.numel * dtypes.itemsize(storage.dtype))
        else:
            raw = self._zip.read(f"{self._prefix}data/{storage.key}")
        return np.frombuffer(raw, dtype=dtypes.storage_dtype(storage.dtype))

    def _strided(self, name: str) -> np.ndarray:
        ref = self._refs[name]
        base = self._storage_array(ref.storage)
        item = base.itemsize
        if not ref.shape:
            return base[ref.offset : ref.offset + 1].reshape(())
        return np.lib.stride_tricks.as_strided(
            base[ref.offset :], shape=ref.shape, strides=tuple(s * item for s in ref.stride), writeable=False
        )

    def read_raw(self, name: str) -> Buffer:
        """The tensor's bytes in row-major order (zero-copy when it is contiguous and stored)."""
        info = self.tensor_info(name)
        if info.offset is not None:
            return self._view(info.offset, info.nbytes)
        return np.ascontiguousarray(self._strided(name)).tobytes()

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """The tensor as a numpy view of its storage (BF16/F8 raw bits unless dequantized)."""
        info = self.tensor_info(name)
        arr = self._strided(name)
        return dtypes.to_float32(arr, info.dtype) if dequantize and not dtypes.is_native(info.dtype) else arr

    def close(self) -> None:
        """Close the zip and the map."""
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
            self._zip = None  # type: ignore[assignment]
        super().close()
