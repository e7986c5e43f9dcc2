"""Projecting new embeddings to 3-D off the hot path.

UMAP's ``transform`` costs about as much per point as encoding does, so the embedder stores a
new embedding with a NULL projection and this background task fills it in: whenever the
embedder has been idle for ``idle_s``, it claims pages of unprojected rows (``FOR UPDATE SKIP
LOCKED``, so several embedder processes never project the same row twice), transforms them with
the embedder's current projection version, and stores the coordinates. Under sustained load
the projections therefore trail the embeddings and catch up when the burst ends; a refit
(``hartonomous embeddings refit-projection``) projects everything at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection

from hartonomous.config import Settings
from hartonomous.embedding.encoder import Vectors
from hartonomous.embedding.exceptions import ProjectionError
from hartonomous.embedding.projection import Projection, projection_path
from hartonomous.embedding.store import as_matrix, current_projection_version
from hartonomous.logging import get_logger
from hartonomous.store import connect_async, queries

PAGE = 512
TICK_S = 1.0


class BackgroundProjector:
    """Fills NULL projections of one embedder while ``is_idle()`` says the embedder rests."""

    def __init__(self, settings: Settings, embedder_id: int, embedder: str, *, idle_s: float = 1.0) -> None:
        self._settings = settings
        self._embedder_id = embedder_id
        self._embedder = embedder
        self._idle_s = idle_s
        self._sql = queries(settings)
        self._projection: Projection | None = None
        self.projected = 0
        self._log = get_logger("embedding.projector", embedder=embedder)

    @property
    def version(self) -> int:
        return self._projection.version if self._projection else 0

    async def run(self, last_activity: Callable[[], float]) -> None:
        """Loop until cancelled; ``last_activity()`` is the monotonic time of the embedder's last batch."""
        conn: AsyncConnection | None = None
        try:
            while True:
                try:
                    if conn is None or conn.closed:
                        conn = await connect_async(self._settings, autocommit=True)
                        await register_vector_async(conn)
                    idle = time.monotonic() - last_activity() >= self._idle_s
                    if idle:  # loading compiles UMAP's code (seconds of CPU): never during a burst
                        await self._load_current(conn)
                    while self._projection is not None and time.monotonic() - last_activity() >= self._idle_s:
                        if await self._project_page(conn, self._projection) < PAGE:
                            break
                except (OSError, ProjectionError) as exc:
                    self._log.warning("projector_error", error=str(exc)[:300])
                except Exception as exc:  # noqa: BLE001 - a database hiccup must not end the task
                    self._log.warning("projector_error", error=repr(exc)[:300])
                    if conn is not None:
                        await conn.close()
                    conn = None
                await asyncio.sleep(TICK_S)
        finally:
            if conn is not None:
                await conn.close()

    async def _load_current(self, conn: AsyncConnection) -> None:
        version = await current_projection_version(conn, self._sql, self._embedder)
        if version == 0 or version == self.version:
            return
        projection = await asyncio.to_thread(Projection.load, projection_path(self._settings, self._embedder, version))
        await asyncio.to_thread(projection.transform, _probe(projection))
        self._projection = projection
        self._log.info("projection_loaded", version=version)

    async def _project_page(self, conn: AsyncConnection, projection: Projection) -> int:
        async with conn.transaction():
            cur = await conn.execute(self._sql["projection_claim"],
                                     {"embedder_id": self._embedder_id, "limit": PAGE})
            rows = await cur.fetchall()
            if not rows:
                return 0
            coords = await asyncio.to_thread(projection.transform, as_matrix([r[1] for r in rows]))
            async with conn.cursor() as update:
                await update.executemany(self._sql["projection_update"], [
                    {"projection": coords[i], "version": projection.version,
                     "embedder_id": self._embedder_id, "document_id": r[0]}
                    for i, r in enumerate(rows)
                ])
        self.projected += len(rows)
        self._log.debug("projection_page", rows=len(rows), version=projection.version)
        return len(rows)


def _probe(projection: Projection) -> Vectors:
    """One unit vector of the training data's dimension: the first transform compiles UMAP's code."""
    import numpy as np

    dimension = int(projection.reducer._raw_data.shape[1])  # noqa: SLF001 - UMAP keeps its training data
    return np.full((1, dimension), dimension ** -0.5, dtype=np.float32)
