"""Search against the real PostgreSQL + pgvector: exact, HNSW, hybrid, ensemble, refusals, audit."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass

import numpy as np
import pytest

from hartonomous.config import Settings, Topics
from hartonomous.query.db import embedder_info, open_connection
from hartonomous.query.ensemble import search_ensemble
from hartonomous.query.exceptions import InvalidQueryError, QueryError, UnknownModelError
from hartonomous.query.search import search, search_vector
from hartonomous.query.testing import bulk_load
from hartonomous.store import migrate

pytestmark = pytest.mark.integration

N, DIM = 400, 16


@dataclass
class Corpus:
    """A synthetic corpus loaded under two fresh embedders (A and B) of dimension 16."""

    settings: Settings
    names: tuple[str, str]
    ids: np.ndarray
    vectors: tuple[np.ndarray, np.ndarray]
    categories: list[str]


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus(stack_settings: Settings) -> Corpus:
    """400 documents (category 'rare' for every 10th), vectors under embedders A and B."""
    settings = stack_settings.replace(query_publish_events=False)
    migrate(settings)
    tag = uuid.uuid4().hex[:10]
    rng = np.random.default_rng(7)
    texts = [f"q7 search test {tag} document {i}" for i in range(N)]
    categories = ["rare" if i % 10 == 0 else "common" for i in range(N)]
    a, b = _unit(rng, N), _unit(rng, N)
    names = (f"q7-a-{tag}", f"q7-b-{tag}")
    _, ids = bulk_load(settings, texts, a, embedder=names[0], categories=categories, projections=a[:, :3])
    bulk_load(settings, texts, b, embedder=names[1], categories=categories)
    return Corpus(settings, names, np.asarray(ids), (a, b), categories)


def _exact(corpus: Corpus, which: int, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
    scores = corpus.vectors[which] @ query
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    order = sorted(range(N), key=lambda i: (-scores[i], corpus.ids[i]))
    return [int(corpus.ids[i]) for i in order[:k] if np.isfinite(scores[i])]


class TestModes:
    """Exact returns the true top-k; HNSW and hybrid are measured against it."""

    def test_exact_returns_the_true_top_k(self, corpus: Corpus) -> None:
        """search_exact equals a numpy brute force, for several queries."""
        rng = np.random.default_rng(1)
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            for query in _unit(rng, 5):
                actual = [d for d, _ in search_vector(corpus.settings, conn, info, query, mode="exact", k=10)]
                assert _exact(corpus, 0, query, 10) == actual

    def test_exact_with_category_filter(self, corpus: Corpus) -> None:
        """Filtering by category gives the true top-k among that category only."""
        query = _unit(np.random.default_rng(2), 1)[0]
        mask = np.array([c == "rare" for c in corpus.categories])
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            actual = [d for d, _ in search_vector(corpus.settings, conn, info, query, mode="exact", k=5, category="rare")]
        assert _exact(corpus, 0, query, 5, mask) == actual

    def test_ann_recall_at_high_ef_search(self, corpus: Corpus) -> None:
        """HNSW with ef_search=200 on 400 vectors finds at least 9 of the true top 10 per query."""
        rng = np.random.default_rng(3)
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            for query in _unit(rng, 5):
                found = {d for d, _ in search_vector(corpus.settings, conn, info, query, mode="ann", k=10, ef_search=200)}
                assert len(found & set(_exact(corpus, 0, query, 10))) >= 9

    def test_filtered_ann_still_returns_k(self, corpus: Corpus) -> None:
        """A filter keeping 10% of rows still gives k hits, all of that category (iterative scan)."""
        query = _unit(np.random.default_rng(4), 1)[0]
        rare = {int(corpus.ids[i]) for i in range(N) if corpus.categories[i] == "rare"}
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            found = [d for d, _ in search_vector(corpus.settings, conn, info, query, mode="ann", k=10, ef_search=10, category="rare")]
        assert (10, True) == (len(found), set(found) <= rare)

    def test_hybrid_with_all_candidates_is_exact(self, corpus: Corpus) -> None:
        """With every document a candidate, the exact rerank gives exactly the exact top-k."""
        query = _unit(np.random.default_rng(5), 1)[0]
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            conn.execute("SELECT ensure_projection_index(%s)", (info.id,))
            actual = [d for d, _ in search_vector(
                corpus.settings, conn, info, query, mode="hybrid", k=10, candidates=N, projection=query[:3])]
        assert _exact(corpus, 0, query, 10) == actual

    def test_hybrid_candidates_come_from_the_projection(self, corpus: Corpus) -> None:
        """With 20 candidates, every hit is among the 20 documents nearest in the 3-D projection."""
        query = _unit(np.random.default_rng(6), 1)[0]
        distances = np.linalg.norm(corpus.vectors[0][:, :3] - query[:3], axis=1)
        nearest = {int(corpus.ids[i]) for i in np.argsort(distances)[:20]}
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            hits = search_vector(corpus.settings, conn, info, query, mode="hybrid", k=5, candidates=20, projection=query[:3])
        assert (5, True) == (len(hits), {d for d, _ in hits} <= nearest)


class TestEnsemble:
    """Two embedders fused in SQL: weighted sums of cosines and reciprocal rank fusion."""

    def test_weighted_fusion_scores(self, corpus: Corpus) -> None:
        """Each fused score is 0.7 cos_A + 0.3 cos_B, with both models' contributions shown."""
        query = _unit(np.random.default_rng(8), 1)[0]
        with open_connection(corpus.settings) as conn:
            rows = conn.execute(
                "SELECT document_id, score, contributions FROM search_ensemble(%s, %s::vector[], %s, 5, 'weighted', 50, 'exact')",
                (list(corpus.names), [query, query], [0.7, 0.3]),
            ).fetchall()
        index = {int(d): i for i, d in enumerate(corpus.ids)}
        for doc, score, contributions in rows:
            i = index[int(doc)]
            expected = 0.7 * float(corpus.vectors[0][i] @ query) + 0.3 * float(corpus.vectors[1][i] @ query)
            assert expected == pytest.approx(score, abs=1e-5)
            assert set(corpus.names) == set(contributions)

    def test_rrf_fusion_ranks(self, corpus: Corpus) -> None:
        """RRF: each score is the sum over lists of 1/(60 + rank); first place is the best fused."""
        query = _unit(np.random.default_rng(9), 1)[0]
        with open_connection(corpus.settings) as conn:
            rows = conn.execute(
                "SELECT document_id, score, contributions FROM search_ensemble(%s, %s::vector[], NULL, 10, 'rrf', 20, 'exact')",
                (list(corpus.names), [query, query]),
            ).fetchall()
        for _, score, contributions in rows:
            expected = sum(1.0 / (60 + c["rank"]) for c in contributions.values() if c["rank"] is not None)
            assert expected == pytest.approx(score)
        assert sorted((r[1] for r in rows), reverse=True) == [r[1] for r in rows]


class TestRefusals:
    """Bad requests are refused with a named error before or by the SQL function."""

    def test_unknown_embedder(self, corpus: Corpus) -> None:
        """An embedder that does not exist raises UnknownModelError naming it."""
        with pytest.raises(UnknownModelError, match="no-such-embedder"):
            search(corpus.settings, "water", embedder="no-such-embedder")

    def test_empty_query(self, corpus: Corpus) -> None:
        """An empty or blank query raises InvalidQueryError."""
        with pytest.raises(InvalidQueryError, match="empty"):
            search(corpus.settings, "   ", embedder=corpus.names[0])

    def test_wrong_dimension_and_bad_k(self, corpus: Corpus) -> None:
        """A query vector of the wrong size, or k = 0, is refused by the SQL function."""
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[0])
            with pytest.raises(InvalidQueryError, match="dimension"):
                search_vector(corpus.settings, conn, info, np.ones(5, dtype=np.float32), mode="exact")
            with pytest.raises(InvalidQueryError, match="k must be"):
                search_vector(corpus.settings, conn, info, np.ones(DIM, dtype=np.float32), mode="ann", k=0)

    def test_hybrid_without_projection(self, corpus: Corpus) -> None:
        """Hybrid on an embedder with no fitted projection raises QueryError saying so."""
        with open_connection(corpus.settings) as conn:
            info = embedder_info(corpus.settings, conn, corpus.names[1])
            with pytest.raises(QueryError, match="projection"):
                search_vector(corpus.settings, conn, info, np.ones(DIM, dtype=np.float32), mode="hybrid",
                              projection=np.zeros(3, dtype=np.float32))

    def test_ensemble_of_one(self, corpus: Corpus) -> None:
        """An ensemble needs two different embedders."""
        with pytest.raises(InvalidQueryError, match="two different"):
            search_ensemble(corpus.settings, "water", [corpus.names[0], corpus.names[0]])


GLOSSES = [
    "a large natural stream of water",
    "a body of salt water smaller than an ocean",
    "an instrument for measuring temperature",
    "a domesticated carnivorous mammal that barks",
    "a building where books are kept for reading",
    "the fruit of the apple tree",
]


class TestTextSearchIsAudited:
    """A text search with MiniLM writes an inference_requests row and announces it on Kafka."""

    def test_row_and_event(self, stack_settings: Settings) -> None:
        """The row names the embedder and the result documents; the event carries the row id."""
        from hartonomous.bus import ensure_topics
        from hartonomous.embedding import load_encoder
        from tests.integration.kafka_helpers import read_records, unique

        settings = stack_settings.replace(topics=Topics(enriched=unique("q7.enriched")))
        asyncio.run(ensure_topics(settings))
        encoder = load_encoder(settings)
        tag = uuid.uuid4().hex[:8]
        texts = [f"{g} ({tag})" for g in GLOSSES]
        name = f"q7-minilm-{tag}"
        bulk_load(settings, texts, encoder.encode(texts), embedder=name)
        result = search(settings, "a river", k=3, mode="exact", embedder=name, encoder=encoder)
        assert texts[0] == result.hits[0].snippet
        with open_connection(settings) as conn:
            row = conn.execute(
                "SELECT kind, models, result_ids, inputs->>'text' FROM inference_requests WHERE id = %s",
                (result.request_id,),
            ).fetchone()
        assert ("search", [name], [str(h.document_id) for h in result.hits], "a river") == row
        records = asyncio.run(read_records(settings, settings.topics.enriched, 1))
        data = json.loads(records[0].value)["data"]
        assert (result.request_id, [name]) == (data["request_id"], data["models"])
