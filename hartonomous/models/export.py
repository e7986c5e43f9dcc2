"""Export a stored model back to a file: safetensors (any model) or GGUF (models from GGUF).

- safetensors: tensors in their original order with their stored bytes, ``{"format": "pt"}``
  plus the original ``__metadata__``; block-quantized tensors need ``dequantize`` (every float
  tensor is then written as F32, dequantized by ``gguf.quants``).
- GGUF: the original key/values with their types (from ``.hartonomous/gguf_kvs.json``) and
  every tensor as its raw blocks.
- The sidecar files stored with the model (``config.json``, tokenizer files, sentence-transformers'
  ``modules.json`` and ``1_Pooling/config.json``) are written beside it at their original
  relative paths, so an exported folder loads like the original one.

``out`` ending in ``.safetensors`` or ``.gguf`` names the weights file and its format (sidecars
go to its folder); anything else is a folder to create, in the format asked for, else GGUF for
models from GGUF and safetensors for the rest. Existing files are not overwritten unless
``force``. Every tensor read back is checked against its content hash before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from psycopg import Connection

from hartonomous.formats import TensorInfo, write_gguf, write_safetensors
from hartonomous.models.exceptions import ExportError
from hartonomous.models.metadata import GGUF_KVS_PATH, kvs_from_document
from hartonomous.models.scan import is_float
from hartonomous.models.stored import StoredModel
from hartonomous.store import Queries

FORMATS = ("safetensors", "gguf")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    weights: Path
    format: str
    tensors: int
    bytes: int
    files: tuple[Path, ...]


def _targets(stored: StoredModel, out: Path, fmt: str) -> tuple[Path, Path]:
    """``(weights file, folder)`` for ``out``."""
    if out.suffix in (".safetensors", ".gguf"):
        return out, out.parent
    original = PurePosixPath(stored.path.as_posix()).name
    name = original if original.endswith(f".{fmt}") else f"model.{fmt}"
    return out / name, out


def _sidecar_target(folder: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ExportError(f"stored sidecar path {rel!r} would leave the export folder")
    return folder.joinpath(*pure.parts)


def _dequantized(infos: list[TensorInfo]) -> list[TensorInfo]:
    return [
        TensorInfo(i.name, "F32", i.shape, i.numel * 4) if is_float(i) and i.dtype != "F32" else i for i in infos
    ]


def export_model(
    conn: Connection[Any],
    sql: Queries,
    name: str,
    out: str | Path,
    *,
    fmt: str | None = None,
    dequantize: bool = False,
    force: bool = False,
) -> ExportResult:
    """Write the stored model ``name`` to ``out`` (see the module docstring)."""
    stored = StoredModel(conn, sql, name)
    suffix = Path(out).suffix.lstrip(".")
    if fmt is not None and suffix in FORMATS and suffix != fmt:
        raise ExportError(f"{out} names a .{suffix} file but the format asked for is {fmt}")
    fmt = fmt or (suffix if suffix in FORMATS else None)
    fmt = fmt or ("gguf" if stored.format == "gguf" and not dequantize else "safetensors")
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {FORMATS}")
    if fmt == "gguf" and stored.format != "gguf":
        raise ExportError(f"{name!r} came from {stored.format}: only models ingested from GGUF export to GGUF")
    if fmt == "gguf" and dequantize:
        raise ExportError("--dequantize writes safetensors (F32); it cannot be combined with --format gguf")
    infos = list(stored.tensors())
    quantized = [i.name for i in infos if i.is_quantized]
    if fmt == "safetensors" and quantized and not dequantize:
        raise ExportError(
            f"{name!r} has {len(quantized)} block-quantized tensors (e.g. {quantized[0]!r}) that safetensors "
            "cannot hold: export with --dequantize (F32) or --format gguf"
        )
    weights, folder = _targets(stored, Path(out), fmt)
    files = stored.files()
    sidecars = {
        _sidecar_target(folder, path): content
        for path, (kind, content) in files.items()
        if kind == "sidecar" and _sidecar_target(folder, path) != weights
    }
    if not force:
        clashes = [p for p in (weights, *sidecars) if p.exists()]
        if clashes:
            raise ExportError(f"{clashes[0]} exists (and {len(clashes) - 1} more): use --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "gguf":
        document = files.get(GGUF_KVS_PATH)
        if document is None:
            raise ExportError(f"{name!r} has no stored GGUF key/values ({GGUF_KVS_PATH})")
        size = write_gguf(weights, kvs_from_document(document[1]), infos, stored.read_raw)
    elif dequantize:
        out_infos = _dequantized(infos)

        def read(tensor: str) -> bytes:
            info = stored.tensor_info(tensor)
            if not is_float(info):
                return stored.read_raw(tensor)
            return np.ascontiguousarray(stored.read_array(tensor, dequantize=True), dtype="<f4").tobytes()

        size = write_safetensors(weights, out_infos, read, _safetensors_metadata(stored))
    else:
        size = write_safetensors(weights, infos, stored.read_raw, _safetensors_metadata(stored))
    for path, content in sidecars.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return ExportResult(weights, fmt, len(infos), size, (weights, *sidecars))


def _safetensors_metadata(stored: StoredModel) -> dict[str, str]:
    """The original ``__metadata__``, in its original key order (so the header is the same)."""
    meta = stored.metadata.get("safetensors_metadata") or {}
    if not isinstance(meta, dict):
        return {}
    order = [k for k in stored.metadata.get("safetensors_metadata_order") or [] if k in meta]
    keys = order + [k for k in meta if k not in order]
    return {str(k): str(meta[k]) for k in keys}

