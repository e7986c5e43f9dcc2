"""A stored model read back from its rows, like a model file: tensors, bytes, arrays, row ranges.

:class:`StoredModel` mirrors the :class:`~hartonomous.formats.ModelFile` reading methods, so the
file writers (export) and the query side (generation from stored weights, extraction) read a
stored model the way they read a file. Every tensor read whole is checked against its content
hash; a row range reads only the chunks that cover it (chunks are row-aligned) and checks each
chunk's hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from gguf import GGMLQuantizationType
from gguf import quants as gguf_quants
from psycopg import Connection

from hartonomous.formats import TensorInfo, hash_bytes
from hartonomous.formats import dtypes as fdtypes
from hartonomous.models.catalog import model_row, require_model, tensor_rows
from hartonomous.models.exceptions import StoredModelCorruptError
from hartonomous.models.scan import as_rows
from hartonomous.store import Queries


def decode_array(info: TensorInfo, raw: bytes | memoryview, dequantize: bool) -> np.ndarray:
    """The array of a tensor's bytes (quantized: raw blocks, or float32 when ``dequantize``)."""
    if not info.is_quantized:
        return fdtypes.decode(raw, info.dtype, info.shape, as_float=dequantize)
    qtype = GGMLQuantizationType[str(info.quant_type)]
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(gguf_quants.quant_shape_to_byte_shape(info.shape, qtype))
    return np.asarray(gguf_quants.dequantize(blocks, qtype)) if dequantize else blocks


class StoredModel:
    """One stored model, opened by name on a connection (which stays the caller's)."""

    def __init__(self, conn: Connection[Any], sql: Queries, name: str) -> None:
        self._conn = conn
        self._sql = sql
        ref = require_model(conn, sql, name)
        self.model_id = ref.id
        self.name = name
        row = model_row(conn, sql, ref.id)
        self.format: str = row["format"]
        self.path = Path(row["metadata"].get("weights_path") or f"{name}.{self.format}")
        self.row = row
        self._infos: dict[str, TensorInfo] = {}
        self._ids: dict[str, int] = {}
        self._hashes: dict[str, str] = {}
        for t in tensor_rows(conn, sql, ref.id):
            self._infos[t["name"]] = TensorInfo(
                t["name"], t["dtype"], tuple(t["shape"]), int(t["nbytes"]), None, t["quant_type"],
                t["block_size"], t["block_bytes"],
            )
            self._ids[t["name"]] = int(t["id"])
            self._hashes[t["name"]] = t["content_hash"]
        self._algorithm = str((row["chunking"] or {}).get("hash", "blake3"))

    @property
    def metadata(self) -> dict[str, Any]:
        """``format``, ``architecture``, ``config`` and the stored format-specific metadata."""
        return {**self.row["metadata"], "format": self.format, "architecture": self.row["architecture"],
                "config": self.row["config"]}

    def tensors(self) -> Iterator[TensorInfo]:
        """Tensor infos in the original file order."""
        return iter(list(self._infos.values()))

    def tensor_info(self, name: str) -> TensorInfo:
        """The info of one tensor (``KeyError`` if absent)."""
        try:
            return self._infos[name]
        except KeyError:
            raise KeyError(f"stored model {self.name!r}: no tensor named {name!r}") from None

    def content_hash(self, name: str) -> str:
        """The recorded content hash of a tensor."""
        self.tensor_info(name)
        return self._hashes[name]

    def read_raw(self, name: str) -> bytes:
        """The tensor's bytes, reassembled from its chunks and checked against its content hash."""
        info = self.tensor_info(name)
        with self._conn.cursor(binary=True) as cur:
            parts = [bytes(r[0]) for r in cur.execute(self._sql["tensor_read"], {"tensor_id": self._ids[name]})]
        data = b"".join(parts)
        if len(data) != info.nbytes or hash_bytes(data, self._algorithm) != self._hashes[name]:
            raise StoredModelCorruptError(
                f"stored model {self.name!r}, tensor {name!r}: {len(data)} bytes read back do not match the "
                f"recorded {info.nbytes} bytes / content hash"
            )
        return data

    def read_array(self, name: str, dequantize: bool = False) -> np.ndarray:
        """The tensor as an array (as :meth:`ModelFile.read_array`)."""
        return decode_array(self.tensor_info(name), self.read_raw(name), dequantize)

    def read_rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)`` of a tensor as ``float32`` (``rows x width``), fetching only their chunks."""
        info = self.tensor_info(name)
        rows, width = as_rows(info.shape)
        start, stop = max(0, start), min(rows, stop)
        if stop <= start:
            return np.empty((0, width), dtype=np.float32)
        row_bytes = info.nbytes // rows
        lo, hi = start * row_bytes, stop * row_bytes
        with self._conn.cursor(binary=True) as cur:
            found = cur.execute(self._sql["tensor_read_range"],
                                {"tensor_id": self._ids[name], "start": lo, "stop": hi}).fetchall()
        if not found:
            raise StoredModelCorruptError(f"stored model {self.name!r}, tensor {name!r}: no chunks for bytes {lo}-{hi}")
        first = int(found[0][0])
        data = b"".join(bytes(r[1]) for r in found)
        for offset, digest, chunk in ((int(r[0]), r[2], bytes(r[1])) for r in found):
            if hash_bytes(chunk, self._algorithm) != digest:
                raise StoredModelCorruptError(f"stored model {self.name!r}, tensor {name!r}: chunk at {offset} is corrupt")
        piece = data[lo - first : hi - first]
        sub = TensorInfo(name, info.dtype, (stop - start, *info.shape[1:]) if len(info.shape) > 1 else (stop - start,),
                         len(piece), None, info.quant_type, info.block_size, info.block_bytes)
        return decode_array(sub, piece, dequantize=True).astype(np.float32, copy=False).reshape(stop - start, width)

    def files(self) -> dict[str, tuple[str, bytes]]:
        """The files stored with the model: ``{path: (kind, content)}``."""
        rows = self._conn.execute(self._sql["model_files_of"], {"model_id": self.model_id}).fetchall()
        return {path: (kind, bytes(content)) for path, kind, content, _ in rows}

    def close(self) -> None:
        """Nothing to release (the connection is the caller's)."""

    def __enter__(self) -> StoredModel:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
