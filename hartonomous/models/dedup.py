"""Measure how much of a model's bytes a chunking finds already stored (in memory, no database).

:func:`measure` chunks a base file and a derived file the way the store would (tensor by tensor,
with a :class:`~hartonomous.models.chunking.ChunkPolicy`), or, for comparison, the whole file in
fixed pieces (``"file-fixed"``: what chunking a file without looking inside it gives), and
reports the share of the derived file's bytes whose chunks the base already had, and the
chunking+hashing speed. This is how the store's chunking was chosen (``bench/model_ingest.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hartonomous.formats import Chunk, fixed_boundaries, hash_bytes, open_model
from hartonomous.models.chunking import DEFAULT_MAX_BYTES, ChunkPolicy, chunk_tensor

FILE_FIXED = "file-fixed"


@dataclass(frozen=True)
class DedupFigure:
    """Dedup of one derived file against its base under one chunking."""

    strategy: str
    total_bytes: int
    new_bytes: int
    chunks: int
    seconds: float

    @property
    def ratio(self) -> float:
        """Share of the derived file's bytes already stored (1.0: all of them)."""
        return 1.0 - self.new_bytes / self.total_bytes if self.total_bytes else 1.0

    @property
    def mb_per_s(self) -> float:
        """Chunking and hashing speed on the derived file."""
        return self.total_bytes / self.seconds / 1e6 if self.seconds > 0 else float("inf")


def file_chunks(path: Path, strategy: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Chunk]:
    """The chunks of a model file as the store would cut them (or the whole file, ``file-fixed``)."""
    if strategy == FILE_FIXED:
        data = path.read_bytes()
        view = memoryview(data)
        for offset, size in fixed_boundaries(len(data), max_bytes):
            yield Chunk(offset, size, hash_bytes(view[offset : offset + size]))
        return
    policy = ChunkPolicy(strategy, max_bytes)
    with open_model(path) as model:
        for info in model.tensors():
            yield from chunk_tensor(model.read_raw(info.name), info, policy)


def measure(base: Path, derived: Path, strategy: str, max_bytes: int = DEFAULT_MAX_BYTES) -> DedupFigure:
    """Dedup of ``derived`` once ``base`` is stored, with ``strategy`` (timed on ``derived``)."""
    known = {c.hash for c in file_chunks(base, strategy, max_bytes)}
    started = time.perf_counter()
    total = new = count = 0
    for chunk in file_chunks(derived, strategy, max_bytes):
        total += chunk.length
        count += 1
        if chunk.hash not in known:
            new += chunk.length
            known.add(chunk.hash)
    return DedupFigure(strategy, total, new, count, time.perf_counter() - started)
