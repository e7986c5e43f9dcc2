"""What the store already knows about a model's tensors, looked up once before writing.

Every tensor is hashed first (BLAKE3, a few GB/s). One query then finds, per content, a stored
tensor chunked the same way (its chunk list and statistics can be reused: a tensor shared with a
stored model costs a hash and a few rows, never a second pass over its values), and another
which contents have their weight rows stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from hartonomous.formats import ModelFile, TensorInfo, hash_bytes
from hartonomous.models.chunking import ChunkPolicy
from hartonomous.models.scan import is_float
from hartonomous.store import Queries


@dataclass(frozen=True)
class KnownTensor:
    """A stored tensor with the same content, dtype and shape: what can be reused from it."""

    tensor_id: int
    chunks: int
    stats: tuple[Any, ...]  # mean, std, min, max, l2, nonfinite, importance


@dataclass(frozen=True)
class Known:
    """The content hashes of a model's tensors and what the store has of them."""

    hashes: list[str]
    tensors: dict[int, KnownTensor]
    rows_stored: set[str]


def look_up(conn: Connection[Any], sql: Queries, model: ModelFile, infos: Sequence[TensorInfo],
            policy: ChunkPolicy) -> Known:
    """Hash every tensor, then ask which contents are stored (tensors by ordinal) and have weight rows."""
    hashes = [hash_bytes(model.read_raw(i.name), policy.algorithm) for i in infos]
    distinct = sorted(set(hashes))
    by_key: dict[tuple[str, str, tuple[int, ...]], KnownTensor] = {}
    if distinct:
        found = conn.execute(sql["tensors_known"], {"hashes": distinct, "chunking": Jsonb(policy.describe())})
        for content_hash, tensor_id, dtype, shape, chunks, *stats in found.fetchall():
            by_key[(content_hash, dtype, tuple(shape))] = KnownTensor(int(tensor_id), int(chunks), tuple(stats))
    tensors = {
        ordinal: by_key[key]
        for ordinal, key in enumerate((h, i.dtype, i.shape) for h, i in zip(hashes, infos))
        if key in by_key
    }
    wanted = sorted({h for h, i in zip(hashes, infos) if is_float(i) and len(i.shape) == 2})
    rows = conn.execute(sql["weight_rows_stored_any"], {"hashes": wanted}).fetchall() if wanted else []
    return Known(hashes, tensors, {row[0] for row in rows})
