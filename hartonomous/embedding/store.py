"""The embedder's side of the store: embedders, documents to embed, embeddings, job outcomes.

All statements are named queries of ``sql/postgres/queries``; vectors travel as pgvector values
(call :func:`pgvector.psycopg.register_vector_async` on the connection first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from hartonomous.embedding.encoder import Encoder, Vectors
from hartonomous.embedding.exceptions import EmbedderMismatchError
from hartonomous.store import Queries

EMBED_JOB_KIND = "embed"


@dataclass(frozen=True)
class EmbedderRow:
    """An ``embedders`` row: the id other tables use, and the current projection version."""

    id: int
    name: str
    dimension: int
    projection_version: int


@dataclass(frozen=True)
class DocumentToEmbed:
    """A document referenced by an embed job, with the hash of its current embedding."""

    id: int
    content: str
    content_hash: str
    embedded_hash: str | None
    source_uri: str
    chunk_index: int
    category: str | None


@dataclass(frozen=True)
class JobOutcome:
    """How one embed job ended: ``done`` or ``failed`` (with the reason)."""

    natural_key: str
    status: str
    event_id: str
    error: str | None = None


def embed_job_key(document_id: int | str, embedder: str, content_hash: str) -> str:
    """The ``jobs.natural_key`` of embedding one version of one document with one embedder."""
    return f"{document_id}:{embedder}:{content_hash}"


async def register_embedder(conn: AsyncConnection, sql: Queries, encoder: Encoder) -> EmbedderRow:
    """Find or create the embedder's row and its partial HNSW index; refuse a dimension clash."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql["embedder_register"], {
            "name": encoder.name, "dimension": encoder.dimension,
            "model_source": encoder.source, "normalized": True,
        })
        row = await cur.fetchone()
        assert row is not None
        if row["dimension"] != encoder.dimension:
            raise EmbedderMismatchError(
                f"embedder {encoder.name!r} is registered with dimension {row['dimension']}, "
                f"the encoder gives {encoder.dimension}: register it under another name"
            )
        await cur.execute(sql["embedder_ensure_index"], {"embedder_id": row["id"]})
    return EmbedderRow(row["id"], row["name"], row["dimension"], row["projection_version"])


async def current_projection_version(conn: AsyncConnection, sql: Queries, name: str) -> int:
    """The embedder's published projection version (0: none fitted yet)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql["embedder_by_name"], {"name": name})
        row = await cur.fetchone()
    return int(row["projection_version"]) if row else 0


async def load_documents(
    conn: AsyncConnection, sql: Queries, embedder_id: int, document_ids: Sequence[int]
) -> dict[int, DocumentToEmbed]:
    """The referenced documents that still exist, by id."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql["embed_documents_load"], {
            "embedder_id": embedder_id, "document_ids": list(document_ids),
        })
        rows = await cur.fetchall()
    return {r["id"]: DocumentToEmbed(**r) for r in rows}


async def upsert_embeddings(
    conn: AsyncConnection,
    sql: Queries,
    *,
    embedder_id: int,
    documents: Sequence[DocumentToEmbed],
    vectors: Vectors,
    projections: Vectors | None,
    projection_version: int,
) -> set[int]:
    """Write the embeddings (one statement per row, pipelined); the ids actually written."""
    params = [
        {
            "document_id": doc.id,
            "embedder_id": embedder_id,
            "content_hash": doc.content_hash,
            "embedding": vectors[i],
            "projection": None if projections is None else projections[i],
            "projection_version": projection_version,
        }
        for i, doc in enumerate(documents)
    ]
    written: set[int] = set()
    if not params:
        return written
    async with conn.cursor() as cur:
        await cur.executemany(sql["embeddings_upsert"], params, returning=True)
        while True:
            row = await cur.fetchone()
            if row is not None:
                written.add(int(row[0]))
            if not cur.nextset():
                break
    return written


async def record_job_outcomes(conn: AsyncConnection, sql: Queries, outcomes: Sequence[JobOutcome]) -> None:
    """Mark embed jobs done or failed (counting an attempt)."""
    if not outcomes:
        return
    await conn.execute(sql["jobs_finished"], {
        "kind": EMBED_JOB_KIND,
        "natural_keys": [o.natural_key for o in outcomes],
        "statuses": [o.status for o in outcomes],
        "errors": [o.error for o in outcomes],
        "event_ids": [o.event_id for o in outcomes],
    })


def as_matrix(rows: Sequence[npt.ArrayLike]) -> Vectors:
    """Vectors read back from pgvector (numpy arrays once registered) as one float32 matrix."""
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([np.asarray(r.to_numpy() if hasattr(r, "to_numpy") else r, dtype=np.float32)
                      for r in rows])
