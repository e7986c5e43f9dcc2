"""``hartonomous embeddings refit-projection``: fit a new projection version and apply it.

1. sample at most ``projection_max_fit_points`` stored vectors of the embedder and fit UMAP;
2. persist the reducer as the next version and publish that version in ``embedders`` (only if
   no other refit published one meanwhile);
3. project every stored embedding not at that version (sampled points keep their fitted
   coordinates, the others go through ``transform``), page by page, until none is left —
   rows an embedder service wrote meanwhile with the older version are caught by the same loop.

With ``fit=False`` only step 3 runs with the current version (filling NULL projections).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.rows import dict_row
from structlog.typing import FilteringBoundLogger

from hartonomous.config import Settings
from hartonomous.embedding.exceptions import ProjectionError
from hartonomous.embedding.projection import Projection, projection_path
from hartonomous.embedding.store import as_matrix
from hartonomous.logging import get_logger
from hartonomous.store import Queries, connect, queries

PAGE = 2000


@dataclass(frozen=True)
class RefitResult:
    """What a refit did."""

    embedder: str
    version: int
    fitted_on: int
    projected: int
    seconds: float


def refit_projection(settings: Settings, embedder: str | None = None, *, fit: bool = True) -> RefitResult:
    """Fit (unless ``fit`` is false) and apply a projection for ``embedder`` (default: the configured one)."""
    name = embedder or settings.embedder_name
    log = get_logger("embedding.refit", embedder=name)
    sql = queries(settings)
    started = time.monotonic()
    with connect(settings, autocommit=True) as conn:
        register_vector(conn)
        row = conn.execute(sql["embedder_by_name"], {"name": name}).fetchone()
        if row is None:
            raise ProjectionError(f"no embedder named {name!r}: start the embedder service first")
        embedder_id, previous = int(row[0]), int(row[3])
        if fit:
            projection, sample_ids = _fit(conn, settings, embedder_id, name, previous, log)
        else:
            if previous == 0:
                raise ProjectionError(f"embedder {name!r} has no projection yet: refit first")
            projection, sample_ids = Projection.load(projection_path(settings, name, previous)), {}
        projected = _apply(conn, sql, embedder_id, projection, sample_ids)
    result = RefitResult(name, projection.version, projection.points if fit else 0, projected,
                         round(time.monotonic() - started, 2))
    log.info("projection_applied", version=result.version, projected=projected, seconds=result.seconds)
    return result


def _fit(
    conn: psycopg.Connection,
    settings: Settings,
    embedder_id: int,
    name: str,
    previous: int,
    log: FilteringBoundLogger,
) -> tuple[Projection, dict[int, int]]:
    sql = queries(settings)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql["projection_sample"], {"embedder_id": embedder_id,
                                               "limit": settings.projection_max_fit_points})
        rows = cur.fetchall()
    if len(rows) < settings.projection_min_points:
        raise ProjectionError(
            f"embedder {name!r} has {len(rows)} embeddings; a projection needs at least "
            f"{settings.projection_min_points} (HARTONOMOUS_PROJECTION_MIN_POINTS)"
        )
    vectors = as_matrix([r["embedding"] for r in rows])
    projection = Projection.fit(vectors, version=previous + 1)
    projection.save(projection_path(settings, name, projection.version))
    published = conn.execute(sql["embedder_set_projection"], {
        "version": projection.version, "params": json.dumps(projection.params),
        "points": projection.points, "embedder_id": embedder_id, "previous": previous,
    }).fetchone()
    if published is None:
        raise ProjectionError(f"another refit of {name!r} published a version meanwhile; retry")
    log.info("projection_fitted", version=projection.version, points=projection.points)
    return projection, {int(r["document_id"]): i for i, r in enumerate(rows)}


def _apply(
    conn: psycopg.Connection, sql: Queries, embedder_id: int, projection: Projection,
    sample_ids: dict[int, int],
) -> int:
    fitted = projection.embedding if sample_ids else np.zeros((0, 3), dtype=np.float32)
    total, after = 0, -1
    while True:
        rows = conn.execute(sql["projection_pending"], {
            "embedder_id": embedder_id, "version": projection.version, "after": after, "limit": PAGE,
        }).fetchall()
        if not rows:
            if after == -1:
                return total
            after = -1  # one more pass from the start: rows written meanwhile at an older version
            continue
        ids = [int(r[0]) for r in rows]
        coords = np.zeros((len(rows), 3), dtype=np.float32)
        new = [i for i, doc in enumerate(ids) if doc not in sample_ids]
        for i, doc in enumerate(ids):
            if doc in sample_ids:
                coords[i] = fitted[sample_ids[doc]]
        if new:
            coords[new] = projection.transform(as_matrix([rows[i][1] for i in new]))
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(sql["projection_update"], [
                {"projection": coords[i], "version": projection.version,
                 "embedder_id": embedder_id, "document_id": doc}
                for i, doc in enumerate(ids)
            ])
        total += len(ids)
        after = ids[-1]
