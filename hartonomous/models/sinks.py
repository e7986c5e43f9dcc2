"""Buffered writers of one ingest transaction: chunks and weight rows, and COPY helpers.

Bulk rows go in with binary COPY. Chunks and weight rows are shared across models, so they are
written "insert if absent": the stored chunk hashes are looked up first and only the missing
chunks are sent; the COPY runs in a savepoint, and if a concurrent ingest stored some of the same
rows in the meantime (a unique violation), the rows go through a temporary table and
``INSERT ... ON CONFLICT DO NOTHING`` instead. Each sink is filled by the ingesting thread
(``add``, ``take``) and written by the writer thread (``write``); its counters are read once the
writer has drained. Every statement is a named query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import Connection

from hartonomous.models.binary_copy import HEADER, TRAILER, weight_rows_payload
from hartonomous.models.scan import KeptRows
from hartonomous.store import Queries

TENSOR_TYPES = [
    "int8", "int8", "int8", "int4", "text", "text", "text", "text", "text", "text", "int4[]", "int8",
    "int8", "text", "int4", "int4", "float8", "float8", "float8", "float8", "float8", "int8",
    "float8", "text",
]


def copy_rows(conn: Connection[Any], statement: str, types: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write ``rows`` with one binary COPY."""
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def copy_or_merge(
    conn: Connection[Any], sql: Queries, prefix: str, write: Callable[[str], None]
) -> tuple[int, ...] | None:
    """Run ``write(<prefix>_copy)`` in a savepoint; on a unique violation, stage and merge instead.

    Returns ``None`` when the direct COPY went through (every row was new), else the row of
    the ``<prefix>_stage_merge`` query (what the merge inserted).
    """
    try:
        with conn.transaction():
            write(sql[f"{prefix}_copy"])
        return None
    except psycopg.errors.UniqueViolation:
        conn.execute(sql[f"{prefix}_stage_create"])
        conn.execute(sql[f"{prefix}_stage_clear"])
        write(sql[f"{prefix}_stage_copy"])
        row = conn.execute(sql[f"{prefix}_stage_merge"]).fetchone()
        return tuple(int(v) for v in row) if row else (0, 0)


class ChunkSink:
    """Chunks waiting to be written; ``write`` stores the ones the store does not have."""

    def __init__(self, conn: Connection[Any], sql: Queries) -> None:
        self._conn = conn
        self._sql = sql
        self._pending: dict[str, memoryview] = {}
        self._seen: set[str] = set()
        self.pending_bytes = 0
        self.new_count = 0
        self.new_bytes = 0

    def add(self, digest: str, data: memoryview) -> None:
        """Queue a chunk (a chunk already queued or written in this ingest is ignored)."""
        if digest in self._seen:
            return
        self._seen.add(digest)
        self._pending[digest] = data
        self.pending_bytes += len(data)

    def take(self) -> dict[str, memoryview]:
        """The queued chunks, handed over for writing (the queue starts empty again)."""
        pending, self._pending, self.pending_bytes = self._pending, {}, 0
        return pending

    def write(self, pending: dict[str, memoryview]) -> None:
        """Write the chunks of ``pending`` that the store lacks."""
        if not pending:
            return
        stored = {row[0] for row in self._conn.execute(self._sql["chunks_existing"], {"hashes": list(pending)})}
        new = [(digest, data) for digest, data in pending.items() if digest not in stored]
        if not new:
            return

        def write(statement: str) -> None:
            copy_rows(self._conn, statement, ["text", "int4", "bytea"], [(d, len(v), v) for d, v in new])

        merged = copy_or_merge(self._conn, self._sql, "chunks", write)
        if merged is None:
            self.new_count += len(new)
            self.new_bytes += sum(len(v) for _, v in new)
        else:
            self.new_count += merged[0]
            self.new_bytes += merged[1]


class WeightRowSink:
    """Weight rows waiting to be written, as binary COPY payloads (one per tensor content)."""

    def __init__(self, conn: Connection[Any], sql: Queries) -> None:
        self._conn = conn
        self._sql = sql
        self._payloads: list[tuple[bytes, int]] = []
        self.pending_bytes = 0
        self.written = 0

    def add(self, content_hash: str, rows: KeptRows) -> None:
        """Queue the kept rows of a tensor whose content has no weight rows yet."""
        if len(rows):
            payload = weight_rows_payload(content_hash, rows.indices, rows.vectors, rows.norms, rows.importance)
            self._payloads.append((payload, len(rows)))
            self.pending_bytes += len(payload)

    def take(self) -> list[tuple[bytes, int]]:
        """The queued payloads, handed over for writing."""
        payloads, self._payloads, self.pending_bytes = self._payloads, [], 0
        return payloads

    def write(self, payloads: list[tuple[bytes, int]]) -> None:
        """Write the rows of ``payloads`` (rows stored meanwhile by another ingest are skipped)."""
        if not payloads:
            return

        def write(statement: str) -> None:
            with self._conn.cursor() as cur, cur.copy(statement) as copy:
                copy.write(HEADER)
                for payload, _ in payloads:
                    copy.write(payload)
                copy.write(TRAILER)

        merged = copy_or_merge(self._conn, self._sql, "weight_rows", write)
        self.written += sum(n for _, n in payloads) if merged is None else merged[0]
