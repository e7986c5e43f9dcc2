"""Embed the stored documents with a stored model (e.g. an extracted student), so it can answer
searches on its own or next to its parent in an ensemble.

The model becomes an embedder of the same name linked to its rows (``embedders.model_id``), with
its own partial HNSW index; documents whose text it has not embedded yet are encoded with the
numpy forward pass over its stored weights and written with the embedder service's upsert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

from hartonomous.config import Settings
from hartonomous.query.audit import Stopwatch, log_inference
from hartonomous.query.db import open_connection
from hartonomous.query.stored import StoredEncoder
from hartonomous.query.weights import load_weights
from hartonomous.store import queries


@dataclass(frozen=True)
class IndexResult:
    """How many documents were embedded, by which embedder, in how long."""

    embedder: str
    embedded: int
    seconds: float
    request_id: int | None = None


def embed_documents(
    settings: Settings,
    model: str,
    *,
    limit: int | None = None,
    category: str | None = None,
    batch: int = 256,
    conn: psycopg.Connection | None = None,
    log: bool = True,
) -> IndexResult:
    """Make ``model`` an embedder and embed the documents it lacks (at most ``limit``)."""
    sql = queries(settings)
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    try:
        loaded = load_weights(settings, conn, name=model)
        encoder = StoredEncoder(loaded)
        row = conn.execute(sql["embedder_link_model"], {"name": model, "dimension": encoder.dimension,
                                                        "model_id": loaded.id, "model_source": f"model:{model}"}).fetchone()
        assert row is not None
        embedder_id = int(row[0])
        conn.execute(sql["embedder_ensure_index"], {"embedder_id": embedder_id})
        done = 0
        while limit is None or done < limit:
            want = batch if limit is None else min(batch, limit - done)
            docs = conn.execute(sql["query_documents_to_embed"],
                                {"embedder_id": embedder_id, "category": category, "limit": want}).fetchall()
            if not docs:
                break
            vectors = encoder.encode([d[1] for d in docs])
            with conn.cursor() as cur:
                cur.executemany(sql["embeddings_upsert"], [
                    {"document_id": d[0], "embedder_id": embedder_id, "content_hash": d[2], "embedding": vectors[i],
                     "projection": None, "projection_version": -1}
                    for i, d in enumerate(docs)
                ])
            done += len(docs)
        watch.laps["total"] = round(watch.elapsed_ms(), 3)
        request_id = None
        if log:
            request_id = log_inference(settings, conn, kind="embed",
                                       inputs={"documents": "stored", "limit": limit, "category": category},
                                       models=[model], results={"embedded": done, "embedder_id": embedder_id},
                                       duration_ms=watch.laps["total"])
        return IndexResult(model, done, time.perf_counter() - watch.start, request_id)
    finally:
        if own:
            conn.close()
