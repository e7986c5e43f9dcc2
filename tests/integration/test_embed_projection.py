"""The 3-D projection on the real stack (a private database): a refit projects every stored
embedding; new embeddings get NULL, then the embedder's background projector fills them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from hartonomous.bus import EventPublisher, Outgoing, ensure_topics
from hartonomous.config import Settings
from hartonomous.corpus import load_corpus
from hartonomous.embedding.projection import projection_path
from hartonomous.embedding.refit import refit_projection
from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder
from hartonomous.enrichment import embed_job_event
from hartonomous.events import new_event, types
from tests.integration.pipeline_helpers import (
    connect,
    pipeline,
    private_database,
    private_settings,
    wait_until,
)

pytestmark = pytest.mark.integration


async def embed(settings: Settings, texts: list[str]) -> list[int]:
    """Insert documents and publish their embed jobs (what the enricher does); their ids."""
    with connect(settings) as conn:
        rows = conn.execute("INSERT INTO documents (source_uri, content) SELECT 'test://proj', t "
                            "FROM unnest(%s::text[]) t RETURNING id, content_hash", (texts,)).fetchall()
    await ensure_topics(settings)
    cause = new_event(types.PING, {"message": "projection test"}, source="/tests")
    jobs = [embed_job_event(cause, document_id=i, content_hash=h, embedder=settings.embedder_name) for i, h in rows]
    async with EventPublisher(settings) as pub:
        await pub.publish_many([Outgoing(settings.topics.jobs_embed, j, j.get_extension("partitionkey")) for j in jobs])
    return [r[0] for r in rows]


def projections(settings: Settings, ids: list[int]) -> dict[int, tuple[np.ndarray | None, int | None]]:
    with connect(settings) as conn:
        rows = conn.execute("SELECT document_id, projection, projection_version FROM embeddings "
                            "WHERE document_id = ANY(%s)", (ids,)).fetchall()
    return {r[0]: (None if r[1] is None else r[1].to_numpy(), r[2]) for r in rows}


class TestProjection:
    """Refit projects all; NULL until a version exists; new rows are projected in the background."""

    def test_refit_and_background_projection(self, stack_settings: Settings, tmp_path: Path) -> None:
        """Before a fit: NULL. After: every row at v1. Rows embedded later reach v1 too."""
        encoder = SentenceTransformerEncoder()
        texts = [r.text for r in load_corpus("wordnet", 160, seed=7)]
        with private_database(private_settings(stack_settings, tmp_path, projection_min_points=100)) as settings:

            async def scenario() -> tuple[dict, dict, dict, int]:
                async with pipeline(settings, encoder, enricher=False) as tasks:
                    first = await embed(settings, texts[:150])
                    before = await wait_until(lambda: (p := projections(settings, first)) and len(p) == 150 and p,
                                              tasks=tasks, timeout_s=120, what="150 embeddings")
                    fitted = await asyncio.to_thread(refit_projection, settings)
                    after = projections(settings, first)
                    later = await embed(settings, texts[150:])
                    filled = await wait_until(
                        lambda: (p := projections(settings, later)) and len(p) == 10
                        and all(v == 1 for _, v in p.values()) and p,
                        tasks=tasks, timeout_s=180, what="background projection of new rows")
                return before, after, filled, fitted.projected

            before, after, filled, projected = asyncio.run(scenario())
            assert {(None, None)} == {(p, v) for p, v in before.values()}
            assert 150 == projected
            assert {1} == {v for _, v in after.values()}
            assert all(p is not None and p.shape == (3,) and np.isfinite(p).all() for p, _ in after.values())
            assert all(p is not None and np.isfinite(p).all() for p, _ in filled.values())
            assert projection_path(settings, settings.embedder_name, 1).is_file()
            assert 0 == refit_projection(settings, fit=False).projected
