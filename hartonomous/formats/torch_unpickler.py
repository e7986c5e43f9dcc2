"""A restricted unpickler for PyTorch checkpoints that never imports or calls torch.

``find_class`` resolves only an allow-list of globals, and each resolves to a stand-in of ours
that records data (a storage reference, a tensor view) instead of running anything. Any other
global, such as ``os.system`` behind a ``__reduce__``, ``builtins.eval`` or a pickled
``nn.Module`` class, is refused with :class:`UnsafeModelFileError` at the opcode that names it,
before any object of it exists.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hartonomous.formats.exceptions import CorruptModelFileError, UnsafeModelFileError

STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "F32", "DoubleStorage": "F64", "HalfStorage": "F16", "BFloat16Storage": "BF16",
    "LongStorage": "I64", "IntStorage": "I32", "ShortStorage": "I16", "CharStorage": "I8",
    "ByteStorage": "U8", "BoolStorage": "BOOL", "UInt16Storage": "U16", "UInt32Storage": "U32",
    "UInt64Storage": "U64", "Float8_e4m3fnStorage": "F8_E4M3", "Float8_e5m2Storage": "F8_E5M2",
}
TORCH_DTYPES = frozenset({
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32",
    "int", "int16", "short", "int8", "uint8", "bool", "float8_e4m3fn", "float8_e5m2",
})


@dataclass(frozen=True, slots=True)
class StorageType:
    """Stands in for ``torch.<X>Storage``: only carries the element type."""

    dtype: str


@dataclass(frozen=True, slots=True)
class StorageRef:
    """A storage record of the zip: ``data/<key>``, ``numel`` elements of ``dtype``."""

    key: str
    dtype: str
    numel: int


@dataclass(frozen=True, slots=True)
class TensorRef:
    """A tensor as a strided view (in elements) of a storage."""

    storage: StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _TypeMarker:
    name: str


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{what} must be a tuple of ints, got {value!r}")
    return tuple(int(v) for v in value)


def _rebuild_tensor_v2(
    storage: Any, storage_offset: Any, size: Any, stride: Any, *_ignored: Any
) -> TensorRef:
    if not isinstance(storage, StorageRef) or not isinstance(storage_offset, int):
        raise TypeError("tensor rebuild without a storage reference")
    return TensorRef(storage, int(storage_offset), _ints(size, "size"), _ints(stride, "stride"))


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> TensorRef:
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, *_ignored: Any) -> Any:
    if not isinstance(data, TensorRef):
        raise TypeError("parameter rebuild without a tensor")
    return data


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Any:
    if not (isinstance(func, _Call) and func.fn in (_rebuild_tensor_v2, _rebuild_parameter)):
        raise TypeError("tensor subclass rebuild with an unexpected function")
    if not isinstance(new_type, _TypeMarker) or not isinstance(args, tuple):
        raise TypeError("tensor subclass rebuild with an unexpected type or arguments")
    return func(*args)


class _Call:
    """A frozen, attribute-less callable: pickle's BUILD opcode cannot alter it."""

    __slots__ = ("fn",)
    fn: Callable[..., Any]

    def __init__(self, fn: Callable[..., Any]) -> None:
        object.__setattr__(self, "fn", fn)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("read-only")

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


def allowed_globals() -> dict[tuple[str, str], Any]:
    """The complete allow-list, fresh per load: (module, name) -> the stand-in it resolves to."""
    allowed: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _Call(_rebuild_tensor_v2),
        ("torch._utils", "_rebuild_tensor"): _Call(_rebuild_tensor),
        ("torch._utils", "_rebuild_parameter"): _Call(_rebuild_parameter),
        ("torch._utils", "_rebuild_parameter_with_state"): _Call(_rebuild_parameter),
        ("torch._tensor", "_rebuild_from_type_v2"): _Call(_rebuild_from_type_v2),
        ("torch", "Tensor"): _TypeMarker("torch.Tensor"),
        ("torch.nn.parameter", "Parameter"): _TypeMarker("torch.nn.Parameter"),
    }
    allowed.update({("torch", name): StorageType(dtype) for name, dtype in STORAGE_DTYPES.items()})
    allowed.update({("torch", name): f"torch.{name}" for name in TORCH_DTYPES})
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles ``data.pkl`` of a torch zip, resolving storages through ``storage_for``."""

    def __init__(
        self, path: Path, data: bytes, storage_for: Callable[[str, str, int], StorageRef]
    ) -> None:
        super().__init__(io.BytesIO(data))
        self._path = path
        self._allowed = allowed_globals()
        self._storage_for = storage_for

    def find_class(self, module: str, name: str) -> Any:
        """Resolve only allow-listed globals; refuse everything else before it can run."""
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafeModelFileError(
                self._path,
                f"pickle references global {module}.{name}, which is not a tensor rebuild or plain "
                "container; refused without running it (save a state_dict of tensors instead)",
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        """Map ``('storage', type, key, location, numel)`` to a :class:`StorageRef`."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsafeModelFileError(self._path, f"unexpected persistent id {str(pid)[:80]!r}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, StorageType) or not isinstance(key, str) or not isinstance(numel, int):
            raise CorruptModelFileError(self._path, f"malformed storage reference {str(pid)[:80]!r}")
        return self._storage_for(key, storage_type.dtype, numel)


def unpickle(path: Path, data: bytes, storage_for: Callable[[str, str, int], StorageRef]) -> Any:
    """Run the restricted unpickler over ``data``; malformed pickles become corrupt-file errors."""
    try:
        return RestrictedUnpickler(path, data, storage_for).load()
    except (UnsafeModelFileError, CorruptModelFileError):
        raise
    except TypeError as exc:
        raise UnsafeModelFileError(path, f"pickle calls an allowed rebuild with unexpected arguments: {exc}") from None
    except Exception as exc:  # UnpicklingError, EOFError, ValueError, IndexError, ...
        raise CorruptModelFileError(path, f"unreadable pickle: {type(exc).__name__}: {exc}") from None
