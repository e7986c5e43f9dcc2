"""Reading what is stored: models, their tensors, layers and sharing; deleting and collecting.

Everything here is a named query of ``sql/postgres/queries``; rows come back as dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from hartonomous.models.exceptions import ModelNotFoundError
from hartonomous.models.plan import IngestResult, TensorSummary
from hartonomous.store import Queries

GC_LOCK_KEY = 0x484D_4743  # shared by ingests, exclusive for garbage collection


@dataclass(frozen=True)
class ModelRef:
    """A stored model's identity."""

    id: int
    name: str
    file_hash: str
    format: str


@dataclass(frozen=True)
class ModelDetails:
    """A stored model with its layers, tensors, files and how its chunks are shared."""

    model: dict[str, Any]
    layers: list[dict[str, Any]]
    tensors: list[dict[str, Any]]
    files: list[dict[str, Any]]
    dedup: dict[str, Any]


@dataclass(frozen=True)
class Collected:
    """What garbage collection deleted."""

    chunks: int
    chunk_bytes: int
    weight_rows: int


def _dicts(conn: Connection[Any], query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(query, params).fetchall())


def model_by_name(conn: Connection[Any], sql: Queries, name: str) -> ModelRef | None:
    """The stored model called ``name``, if any."""
    row = conn.execute(sql["model_by_name"], {"name": name}).fetchone()
    return ModelRef(int(row[0]), row[1], row[2], row[3]) if row else None


def require_model(conn: Connection[Any], sql: Queries, name: str) -> ModelRef:
    """The stored model called ``name``, or :class:`ModelNotFoundError`."""
    found = model_by_name(conn, sql, name)
    if found is None:
        raise ModelNotFoundError(f"no stored model named {name!r} (see: hartonomous model list)")
    return found


def model_row(conn: Connection[Any], sql: Queries, model_id: int) -> dict[str, Any]:
    """The models row (with ``parent`` name and ``vocab_size``)."""
    rows = _dicts(conn, sql["model_row"], {"id": model_id})
    if not rows:
        raise ModelNotFoundError(f"no stored model with id {model_id}")
    return rows[0]


def tensor_rows(conn: Connection[Any], sql: Queries, model_id: int) -> list[dict[str, Any]]:
    """The tensors of a model in file order."""
    return _dicts(conn, sql["model_tensors"], {"model_id": model_id})


def stored_result(conn: Connection[Any], sql: Queries, model_id: int, *, unchanged: bool) -> IngestResult:
    """An :class:`IngestResult` rebuilt from the store (for a model ingested earlier)."""
    row = model_row(conn, sql, model_id)
    tensors = tuple(
        TensorSummary(t["name"], t["content_hash"], t["layer"], t["layer_index"], t["component"], t["role"],
                      t["dtype"], tuple(t["shape"]), int(t["nbytes"]))
        for t in tensor_rows(conn, sql, model_id)
    )
    note = row["weight_rows_note"] or {}
    return IngestResult(
        model_id=int(row["id"]), name=row["name"], format=row["format"], architecture=row["architecture"],
        file_hash=row["file_hash"], bytes=int(row["bytes"]), tensor_bytes=int(row["tensor_bytes"]),
        parameter_count=int(row["parameter_count"]), layer_count=int(row["layer_count"]),
        chunk_count=int(row["chunk_count"]), new_chunk_bytes=int(row["new_chunk_bytes"]),
        weight_rows=int(note.get("rows_written", 0)), vocab_size=int(row["vocab_size"]), unchanged=unchanged,
        source_uri=row["source_uri"], parent=row["parent"], derivation=row["derivation"], tensors=tensors,
    )


def list_models(conn: Connection[Any], sql: Queries) -> list[dict[str, Any]]:
    """Every stored model, newest first."""
    return _dicts(conn, sql["model_list"], {})


def model_details(conn: Connection[Any], sql: Queries, name: str) -> ModelDetails:
    """Everything ``model show`` prints about one model."""
    ref = require_model(conn, sql, name)
    files = [
        {"path": f["path"], "kind": f["kind"], "bytes": len(f["content"]), "content_hash": f["content_hash"]}
        for f in _dicts(conn, sql["model_files_of"], {"model_id": ref.id})
    ]
    return ModelDetails(
        model=model_row(conn, sql, ref.id),
        layers=_dicts(conn, sql["model_layers"], {"model_id": ref.id}),
        tensors=tensor_rows(conn, sql, ref.id),
        files=files,
        dedup=_dicts(conn, sql["model_dedup"], {"model_id": ref.id})[0],
    )


def delete_model(conn: Connection[Any], sql: Queries, name: str) -> bool:
    """Delete a model's rows (its chunks and weight rows stay until :func:`collect_garbage`)."""
    with conn.transaction():
        return conn.execute(sql["model_delete"], {"name": name}).fetchone() is not None


def collect_garbage(conn: Connection[Any], sql: Queries) -> Collected:
    """Delete the chunks and weight rows that no stored tensor refers to."""
    with conn.transaction():
        conn.execute(sql["models_gc_lock"], {"gc_key": GC_LOCK_KEY})
        chunks = conn.execute(sql["chunks_gc"]).fetchone() or (0, 0)
        rows = conn.execute(sql["weight_rows_gc"]).fetchone() or (0,)
    return Collected(int(chunks[0]), int(chunks[1]), int(rows[0]))
