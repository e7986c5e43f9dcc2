"""Semantic search: exact, approximate (HNSW) and hybrid (3-D projection + exact rerank).

The ranking itself is done by the SQL functions of ``030_search.sql``; this module validates the
request, encodes the query text, computes the query's 3-D projection for hybrid, calls the
function, attaches the documents, and logs the call in ``inference_requests``.

    from hartonomous.query import search
    result = search(settings, "a large body of water", mode="ann", k=5)
    for hit in result.hits: print(hit.rank, hit.score, hit.title)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from hartonomous.config import Settings
from hartonomous.query.audit import Stopwatch, log_inference
from hartonomous.query.db import EmbedderInfo, embedder_info, open_connection, sql_errors
from hartonomous.query.encoders import TextEncoder, encoder_for
from hartonomous.query.exceptions import InvalidQueryError, QueryError
from hartonomous.store import queries

MODES = ("exact", "ann", "hybrid")
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Hit:
    """One result: its rank (1 = best), document id, cosine score and what the document is."""

    rank: int
    document_id: int
    score: float
    title: str | None = None
    source_uri: str | None = None
    category: str | None = None
    snippet: str | None = None
    contributions: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SearchResult:
    """The hits of one search, its parameters, its timing (ms) and its audit row id."""

    text: str
    mode: str
    embedders: tuple[str, ...]
    k: int
    params: Mapping[str, Any]
    hits: tuple[Hit, ...]
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    request_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json``)."""
        out = asdict(self)
        out["hits"] = [{k: v for k, v in asdict(h).items() if v is not None} for h in self.hits]
        return out


def validate(text: str, mode: str, k: int) -> str:
    """The stripped query text; :class:`InvalidQueryError` for an empty text, bad mode or k."""
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidQueryError("the query text is empty")
    if mode not in MODES:
        raise InvalidQueryError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if not 1 <= k <= 10000:
        raise InvalidQueryError(f"k must be between 1 and 10000, got {k}")
    return stripped


def query_projection(settings: Settings, embedder: EmbedderInfo, vector: np.ndarray) -> np.ndarray:
    """The query's 3-D point under the embedder's current projection (fitted by issue 4's refit)."""
    from hartonomous.embedding.projection import Projection, projection_path

    if embedder.projection_version < 1:
        raise QueryError(f"embedder {embedder.name!r} has no 3-D projection yet: run `hartonomous embeddings refit-projection`")
    path = projection_path(settings, embedder.name, embedder.projection_version)
    if not path.is_file():
        raise QueryError(f"projection v{embedder.projection_version} of {embedder.name!r} is not at {path}")
    return Projection.load(path).transform(vector[None, :].astype(np.float32))[0]


def search_vector(
    settings: Settings,
    conn: psycopg.Connection,
    embedder: EmbedderInfo,
    vector: np.ndarray,
    *,
    mode: str = "ann",
    k: int = 10,
    category: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    ef_search: int | None = None,
    candidates: int | None = None,
    projection: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """``[(document_id, score)]`` best first for a query vector (no logging: the benchmark's path).

    Hybrid needs ``projection`` (the query's 3-D point; see :func:`query_projection`).
    """
    sql = queries(settings)
    params: dict[str, Any] = {
        "embedder": embedder.name,
        "query": np.asarray(vector, dtype=np.float32),
        "k": k,
        "category": category,
        "metadata": Jsonb(dict(metadata)) if metadata else None,
    }
    if mode == "exact":
        statement = sql["query_search_exact"]
    elif mode == "ann":
        statement = sql["query_search_ann"]
        params["ef_search"] = ef_search or settings.search_ef_search
    elif mode == "hybrid":
        if projection is None:
            raise InvalidQueryError("hybrid search needs the query's 3-D projection")
        statement = sql["query_search_hybrid"]
        params["projection"] = np.asarray(projection, dtype=np.float32)
        params["candidates"] = candidates or settings.search_candidates
    else:
        raise InvalidQueryError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    with sql_errors():
        rows = conn.execute(statement, params).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


def describe(settings: Settings, conn: psycopg.Connection, scored: Sequence[tuple[int, float]], **extra: Any) -> tuple[Hit, ...]:
    """Hits with their documents' title, source, category and snippet attached."""
    ids = [doc for doc, _ in scored]
    rows = conn.execute(queries(settings)["query_documents_brief"], {"ids": ids, "chars": SNIPPET_CHARS}).fetchall()
    docs = {int(r[0]): r[1:] for r in rows}
    hits = []
    for rank, (doc, score) in enumerate(scored, start=1):
        title, source, category, snippet = docs.get(doc, (None, None, None, None))
        contributions = extra.get("contributions", {}).get(doc)
        hits.append(Hit(rank, doc, round(score, 6), title, source, category, snippet, contributions))
    return tuple(hits)


def search(
    settings: Settings,
    text: str,
    *,
    mode: str = "ann",
    k: int = 10,
    embedder: str | None = None,
    category: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    ef_search: int | None = None,
    candidates: int | None = None,
    encoder: TextEncoder | None = None,
    conn: psycopg.Connection | None = None,
    log: bool = True,
) -> SearchResult:
    """Search the documents for ``text`` with one embedder; logged in ``inference_requests``.

    ``mode``: ``exact`` (brute force), ``ann`` (HNSW, ``ef_search``), ``hybrid`` (3-D projection
    candidates, exact rerank; ``candidates``). Filters: ``category``, ``metadata`` (containment).
    """
    text = validate(text, mode, k)
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    try:
        info = embedder_info(settings, conn, embedder or settings.embedder_name)
        started = time.perf_counter()
        encoder = encoder or encoder_for(settings, conn, info)
        watch.lap("load_encoder", started)
        started = time.perf_counter()
        vector = np.asarray(encoder.encode([text]), dtype=np.float32)[0]
        watch.lap("encode", started)
        projection = None
        if mode == "hybrid":
            started = time.perf_counter()
            projection = query_projection(settings, info, vector)
            conn.execute(queries(settings)["query_ensure_projection_index"], {"embedder_id": info.id})
            watch.lap("project", started)
        started = time.perf_counter()
        scored = search_vector(
            settings, conn, info, vector, mode=mode, k=k, category=category, metadata=metadata,
            ef_search=ef_search, candidates=candidates, projection=projection,
        )
        watch.lap("search", started)
        hits = describe(settings, conn, scored)
        params: dict[str, Any] = {"category": category, "metadata": dict(metadata) if metadata else None}
        if mode == "ann":
            params["ef_search"] = ef_search or settings.search_ef_search
        if mode == "hybrid":
            params["candidates"] = candidates or settings.search_candidates
        params = {key: value for key, value in params.items() if value is not None}
        watch.laps["total"] = round(watch.elapsed_ms(), 3)
        request_id = None
        if log:
            request_id = log_inference(
                settings, conn, kind="search",
                inputs={"text": text, "mode": mode, "k": k, **params},
                models=[info.name],
                result_ids=[h.document_id for h in hits],
                results={"scores": [h.score for h in hits], "timings_ms": watch.laps},
                duration_ms=watch.laps["total"],
            )
        return SearchResult(text, mode, (info.name,), k, params, hits, dict(watch.laps), request_id)
    finally:
        if own:
            conn.close()
