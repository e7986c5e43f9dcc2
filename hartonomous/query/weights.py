"""A stored model's weights, read from its rows (never from a file) into a ``dict[str, ndarray]``.

One query streams every chunk of every tensor in order (``tensors`` -> ``tensor_chunks`` ->
``chunks``); each tensor's bytes are concatenated, checked against the tensor's content hash,
and decoded with its dtype and shape (BF16/F16 widened to float32, GGUF blocks dequantized).
The files stored with the model (``config.json``, ``tokenizer.json``, pooling configs) come too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from hartonomous.config import Settings
from hartonomous.formats import TensorInfo, hash_bytes
from hartonomous.formats import dtypes as fdtypes
from hartonomous.query.exceptions import MissingWeightsError, UnknownModelError
from hartonomous.store import queries


@dataclass
class LoadedModel:
    """A stored model ready for a forward pass: weights, config and its stored files."""

    id: int
    name: str
    architecture: str | None
    config: dict[str, Any]
    weights: dict[str, np.ndarray]
    files: dict[str, bytes] = field(default_factory=dict)

    def file_json(self, path: str) -> Any:
        """A stored JSON file parsed, or ``None`` if the model has no such file."""
        raw = self.files.get(path)
        return json.loads(raw.decode("utf-8")) if raw is not None else None

    def file_text(self, path: str) -> str | None:
        """A stored text file, or ``None``."""
        raw = self.files.get(path)
        return raw.decode("utf-8") if raw is not None else None

    @property
    def parameter_count(self) -> int:
        """Number of weights loaded."""
        return int(sum(a.size for a in self.weights.values()))


def _decode(info: TensorInfo, raw: bytes) -> np.ndarray:
    if info.quant_type:
        from hartonomous.models.stored import decode_array

        return decode_array(info, raw, dequantize=True)
    array = fdtypes.decode(raw, info.dtype, info.shape, as_float=True)
    if array.dtype.kind == "f" and array.dtype != np.float32:
        return array.astype(np.float32)
    return array


def model_head(settings: Settings, conn: psycopg.Connection, *, name: str | None = None, model_id: int | None = None) -> tuple[Any, ...]:
    """``(id, name, architecture, family, config, format, hash algorithm)``; UnknownModelError if absent."""
    sql = queries(settings)
    if model_id is not None:
        row = conn.execute(sql["query_model_head_by_id"], {"id": model_id}).fetchone()
    else:
        row = conn.execute(sql["query_model_head"], {"name": name}).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(sql["query_model_names"]).fetchall()]
        wanted = name if model_id is None else f"id {model_id}"
        shown = ', '.join(known[:15]) + (f' and {len(known) - 15} more' if len(known) > 15 else '')
        raise UnknownModelError(f"no stored model {wanted!r} (stored: {shown or 'none'}; see hartonomous model list)")
    return tuple(row)


def load_weights(
    settings: Settings, conn: psycopg.Connection, *, name: str | None = None, model_id: int | None = None, verify: bool = True
) -> LoadedModel:
    """Read a stored model (by name or id) from its rows; every tensor checked against its hash."""
    mid, mname, architecture, _family, config, _fmt, algorithm = model_head(settings, conn, name=name, model_id=model_id)
    sql = queries(settings)
    weights: dict[str, np.ndarray] = {}
    current: tuple[TensorInfo, str] | None = None
    parts: list[bytes] = []

    def finish() -> None:
        assert current is not None
        info, digest = current
        data = b"".join(parts)
        if len(data) != info.nbytes:
            raise MissingWeightsError(f"{mname}: tensor {info.name!r} has {len(data)} bytes stored, {info.nbytes} expected")
        if verify and hash_bytes(data, algorithm) != digest:
            raise MissingWeightsError(f"{mname}: tensor {info.name!r} does not match its content hash")
        weights[info.name] = _decode(info, data)

    with conn.cursor(binary=True) as cur:
        cur.execute(sql["query_model_weights"], {"model_id": mid})
        for tname, dtype, shape, nbytes, digest, quant_type, chunk in cur:
            if current is None or current[0].name != tname:
                if current is not None:
                    finish()
                current = (TensorInfo(tname, dtype, tuple(int(s) for s in shape), int(nbytes), None, quant_type), digest)
                parts = []
            parts.append(bytes(chunk))
        if current is not None:
            finish()
    if not weights:
        raise MissingWeightsError(f"stored model {mname!r} has no tensors")
    files = {str(p): bytes(c) for p, c in conn.execute(sql["query_model_files"], {"model_id": mid}).fetchall()}
    cfg = dict(config or {})
    if not cfg and "config.json" in files:
        cfg = json.loads(files["config.json"].decode("utf-8"))
    return LoadedModel(int(mid), mname, architecture, cfg, weights, files)
