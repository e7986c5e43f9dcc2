"""The common model every reader returns: :class:`TensorInfo` and the :class:`ModelFile` protocol."""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hartonomous.formats import dtypes
from hartonomous.formats.exceptions import CorruptModelFileError

Buffer = bytes | memoryview


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One stored tensor.

    ``dtype`` is the stored type: an element type (``F32``, ``BF16``...) or a GGUF block type
    (``Q8_0``...). ``shape`` is row-major (last dimension varies fastest), as numpy and torch
    order it. ``nbytes`` is the exact number of stored bytes. ``offset`` is the absolute file
    offset of those bytes when they lie contiguously in the file. Block-quantized tensors also
    carry ``quant_type`` and their block geometry: ``block_size`` elements in ``block_bytes``.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    offset: int | None = None
    quant_type: str | None = None
    block_size: int | None = None
    block_bytes: int | None = None

    @property
    def numel(self) -> int:
        """Number of elements (1 for a scalar)."""
        return math.prod(self.shape)

    @property
    def is_quantized(self) -> bool:
        """Whether the tensor is stored as quantized blocks."""
        return self.quant_type is not None


@runtime_checkable
class ModelFile(Protocol):
    """A model file opened for streaming reads: one tensor in memory at a time, at most."""

    path: Path
    format: str

    @property
    def metadata(self) -> dict[str, Any]:
        """``format``, ``architecture``, ``config``, ``tokenizer`` and format-specific keys."""
        ...

    def tensors(self) -> Iterator[TensorInfo]:
        """Tensor infos in file order."""
        ...

    def tensor_info(self, name: str) -> TensorInfo:
        """The info of one tensor by name (``KeyError`` if absent)."""
        ...

    def read_raw(self, name: str) -> Buffer:
        """The tensor's stored bytes, exactly (row-major, little-endian, blocks as stored)."""
        ...

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """The tensor as an array; ``dequantize`` turns blocks, BF16 and F8 into ``float32``."""
        ...

    def close(self) -> None:
        """Release the file (arrays already handed out stay valid)."""
        ...

    def __enter__(self) -> ModelFile: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class BaseModelFile:
    """Shared plumbing: an ordered tensor table, a read-only mmap, context management."""

    format: str = ""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._infos: dict[str, TensorInfo] = {}
        self._metadata: dict[str, Any] = {}
        self._file: Any = None
        self._mmap: mmap.mmap | None = None

    # -- mmap ---------------------------------------------------------------------------------
    def _open_mmap(self) -> mmap.mmap:
        """Map the whole file read-only (pages are loaded on demand, never all at once)."""
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        size = self.path.stat().st_size
        if size == 0:
            raise self._corrupt("file is empty")
        self._mmap = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._mmap

    def _view(self, start: int, length: int) -> memoryview:
        if self._mmap is None:
            raise ValueError(f"{self.path}: file is closed")
        return memoryview(self._mmap)[start : start + length]

    def _corrupt(self, problem: str) -> CorruptModelFileError:
        return CorruptModelFileError(self.path, problem)

    # -- protocol -----------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        """``format``, ``architecture``, ``config``, ``tokenizer`` and format-specific keys."""
        return self._metadata

    def tensors(self) -> Iterator[TensorInfo]:
        """Tensor infos in file order."""
        return iter(list(self._infos.values()))

    def tensor_info(self, name: str) -> TensorInfo:
        """The info of one tensor by name (``KeyError`` naming the file if absent)."""
        try:
            return self._infos[name]
        except KeyError:
            raise KeyError(f"{self.path}: no tensor named {name!r}") from None

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def read_raw(self, name: str) -> Buffer:
        """The tensor's stored bytes (a zero-copy view of the file when they are contiguous)."""
        info = self.tensor_info(name)
        if info.offset is None:
            raise NotImplementedError(f"{type(self).__name__} must override read_raw")
        return self._view(info.offset, info.nbytes)

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """The tensor as a (read-only, when zero-copy) array of its shape."""
        info = self.tensor_info(name)
        return dtypes.decode(self.read_raw(name), info.dtype, info.shape, as_float=dequantize)

    def close(self) -> None:
        """Unmap and close; if arrays still reference the map, it is freed when they are."""
        if self._mmap is not None:
            try:
                self._mmap.close()
            except BufferError:
                pass  # views are still alive; the map is released with the last of them
            self._mmap = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> BaseModelFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} tensors={len(self._infos)}>"
