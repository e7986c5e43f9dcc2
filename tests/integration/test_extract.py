"""Student extraction with SQL: smaller real models that share the parent's chunks and load elsewhere."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import numpy as np
import pytest

from hartonomous.config import Settings, Topics
from hartonomous.query.db import open_connection
from hartonomous.query.exceptions import ExtractionError, UnknownModelError
from hartonomous.query.extract import extract_student
from hartonomous.query.inference import embed
from hartonomous.query.testing import bulk_load, wordnet_glosses
from hartonomous.store import connect, migrate, queries

pytestmark = pytest.mark.integration
os.environ.setdefault("HF_HUB_OFFLINE", "1")
PARENT = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def settings(stack_settings: Settings) -> Settings:
    """Migrated stack settings with MiniLM stored as rows; events go to a private enriched topic."""
    from hartonomous.bus import ensure_topics
    from hartonomous.models import ensure_embedder_model
    from tests.integration.kafka_helpers import unique

    s = stack_settings.replace(topics=Topics(enriched=unique("q7.extract.enriched")))
    migrate(s)
    asyncio.run(ensure_topics(s))
    ensure_embedder_model(s)
    return s


@pytest.fixture(scope="module")
def tag() -> str:
    """A suffix making this run's student names unique."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def student(settings: Settings, tag: str) -> str:
    """MiniLM's layers 0-2 as a student (SQL extract_layers only)."""
    name = f"q7-minilm-l012-{tag}"
    extract_student(settings, PARENT, name, layers=[0, 1, 2])
    return name


def _export(settings: Settings, name: str, out: Path) -> Path:
    from hartonomous.models import export_model

    with connect(settings) as conn:
        export_model(conn, queries(settings), name, out)
    return out


def _sentence_pairs(n: int = 1000, pool: int = 1200) -> tuple[list[str], list[tuple[int, int]]]:
    """``pool`` real glosses and ``n`` index pairs among them: half random, half nearby in WordNet's order."""
    rng = np.random.default_rng(0)
    glosses = [g for g, _ in wordnet_glosses()]
    start = int(rng.integers(0, len(glosses) - pool))
    texts = glosses[start : start + pool]
    random_pairs = [tuple(rng.choice(pool, 2, replace=False).tolist()) for _ in range(n // 2)]
    near_pairs = [(i, i + 1 + int(rng.integers(0, 3))) for i in rng.choice(pool - 4, n - n // 2, replace=False).tolist()]
    return texts, [(int(a), int(b)) for a, b in random_pairs + near_pairs]


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


class TestLayerStudent:
    """MiniLM layers 0-2: a real, smaller model sharing every chunk, loadable in sentence-transformers."""

    def test_shares_the_parents_chunks(self, settings: Settings, student: str) -> None:
        """Every student tensor is a parent tensor (same content hash); no new chunk bytes; half the layers."""
        with open_connection(settings) as conn:
            row = conn.execute(
                "SELECT m.layer_count, m.new_chunk_bytes, p.name, m.config->'num_hidden_layers', "
                "  (SELECT count(*) FROM tensors t WHERE t.model_id = m.id AND NOT EXISTS ("
                "     SELECT 1 FROM tensors pt WHERE pt.model_id = m.parent_id AND pt.content_hash = t.content_hash)), "
                "  m.parameter_count < p.parameter_count "
                "FROM models m JOIN models p ON p.id = m.parent_id WHERE m.name = %s", (student,)).fetchone()
        assert (3, 0, PARENT, 3, 0, True) == row

    def test_loads_in_sentence_transformers(self, settings: Settings, student: str, tmp_path: Path) -> None:
        """The exported folder loads in sentence-transformers and gives our stored-weights embeddings."""
        from sentence_transformers import SentenceTransformer

        texts = ["A man is eating food.", "the act of scattering water about haphazardly"]
        reference = SentenceTransformer(str(_export(settings, student, tmp_path / "s")), device="cpu")
        ours = embed(settings, student, texts, log=False).vectors
        cosines = (reference.encode(texts, normalize_embeddings=True) * ours).sum(axis=1)
        assert (3, True) == (len(reference[0].auto_model.encoder.layer), bool((cosines > 0.9999).all()))

    def test_quality_against_the_parent(self, settings: Settings, student: str, tag: str) -> None:
        """Spearman of student vs parent cosines over 1,000 WordNet gloss pairs, and top-10 agreement
        (printed next to an FFN-pruned student's). Truncation without retraining keeps part of the ranking
        (measured here: ~0.6 and ~0.34); the floors catch a broken student (unrelated vectors give ~0)."""
        texts, pairs = _sentence_pairs()
        pruned = f"q7-minilm-l012-ffn50-{tag}"
        extract_student(settings, PARENT, pruned, layers=[0, 1, 2], ffn_keep=0.5, log=False)
        vectors = {m: embed(settings, m, texts, log=False).vectors for m in (PARENT, student, pruned)}
        a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        cos = {m: (v[a] * v[b]).sum(axis=1) for m, v in vectors.items()}
        figures = {}
        for m in (student, pruned):
            rho = _spearman(cos[PARENT], cos[m])
            queries_ = vectors[PARENT][:200] @ vectors[PARENT].T, vectors[m][:200] @ vectors[m].T
            agree = np.mean([len(set(np.argsort(-p)[1:11]) & set(np.argsort(-s)[1:11])) / 10 for p, s in zip(*queries_, strict=True)])
            figures[m] = (rho, float(agree))
            print(f"\n{m}: Spearman vs parent over {len(pairs)} gloss pairs = {rho:.3f}; top-10 neighbour agreement "
                  f"over 200 queries in a {len(texts)}-gloss pool = {agree:.3f}")
        assert figures[student][0] > 0.4 and figures[student][1] > 0.15


class TestSlicing:
    """FFN neurons ranked by importance are removed structurally; Llama heads by whole GQA groups."""

    def test_ffn_pruned_student_is_smaller_and_loads(self, settings: Settings, tag: str, tmp_path: Path) -> None:
        """Keeping 25% of FFN neurons: intermediate_size 384, only the FFN tensors differ, loads in ST."""
        from sentence_transformers import SentenceTransformer

        name = f"q7-minilm-ffn25-{tag}"
        result = extract_student(settings, PARENT, name, layers=[0, 1], ffn_keep=0.25)
        model = SentenceTransformer(str(_export(settings, name, tmp_path / "f")), device="cpu")
        config = model[0].auto_model.config
        ours = embed(settings, name, ["a small test"], log=False).vectors
        assert (384, 2, True) == (config.intermediate_size, config.num_hidden_layers,
                                  float((model.encode(["a small test"], normalize_embeddings=True) * ours).sum()) > 0.9999)
        # sliced: the FFN up weight, up bias and down weight of each of the 2 layers; every other tensor is shared
        # (their new chunks are content-addressed, so a rerun of this test adds no bytes)
        assert 6 == result.tensors - result.shared_tensors

    def test_llama_heads(self, settings: Settings, tag: str, tmp_path_factory: pytest.TempPathFactory) -> None:
        """A tiny Llama keeping query heads 0,1 (one KV group): loads in transformers with our logits."""
        import torch
        from transformers import AutoModelForCausalLM

        from hartonomous.models import ingest_model, resolve_source
        from hartonomous.query.db import open_connection as connect_q
        from hartonomous.query.forward import build_decoder
        from hartonomous.query.testing import build_tiny_decoder
        from hartonomous.query.weights import load_weights

        folder = build_tiny_decoder("llama", tmp_path_factory.mktemp("llama"))
        parent = f"q7-llama-{tag}"
        with connect(settings) as conn:
            ingest_model(conn, queries(settings), resolve_source(folder, (folder.resolve(),)), name=parent)
        student = f"q7-llama-h01-{tag}"
        extract_student(settings, parent, student, heads=[0, 1], ffn_keep=0.5)
        out = _export(settings, student, tmp_path_factory.mktemp("llama-out"))
        reference = AutoModelForCausalLM.from_pretrained(out).eval()
        ids = [33, 290, 362, 17]
        with torch.no_grad():
            expected = reference(torch.tensor([ids])).logits[0, -1].numpy()
        with connect_q(settings) as conn:
            loaded = load_weights(settings, conn, name=student)
        decoder = build_decoder(loaded.weights, loaded.config)
        actual = decoder.forward(np.array(ids), decoder.new_cache(4))
        assert (2, 1) == (reference.config.num_attention_heads, reference.config.num_key_value_heads)
        np.testing.assert_allclose(expected, actual, atol=1e-4)


class TestRefusalsAndLineage:
    """Bad selections are refused; a good one is announced for the graph's WAS_DERIVED_FROM."""

    @pytest.mark.parametrize("kwargs, message", [
        ({"layers": [6]}, "out of range"),
        ({"layers": []}, "at least one layer"),
        ({"layers": [0, 0]}, "repeats"),
        ({"layers": [0], "heads": [0]}, "Llama-family"),
        ({"layers": [0], "ffn_keep": 1.5}, "ffn_keep"),
    ])
    def test_bad_selection(self, settings: Settings, tag: str, kwargs: dict[str, object], message: str) -> None:
        """Each invalid selection raises ExtractionError with a clear message, and stores nothing."""
        name = f"q7-bad-{tag}"
        with pytest.raises(ExtractionError, match=message):
            extract_student(settings, PARENT, name, **kwargs)  # type: ignore[arg-type]
        with open_connection(settings) as conn:
            assert conn.execute("SELECT count(*) FROM models WHERE name = %s", (name,)).fetchone() == (0,)

    def test_unknown_parent_and_taken_name(self, settings: Settings, student: str) -> None:
        """An unknown parent raises UnknownModelError; an existing student name ExtractionError."""
        with pytest.raises(UnknownModelError):
            extract_student(settings, "no-such-parent", "x", layers=[0])
        with pytest.raises(ExtractionError, match="exists already"):
            extract_student(settings, PARENT, student, layers=[0])

    def test_event_and_audit_row(self, settings: Settings, student: str) -> None:
        """model.extracted names parent and method; inference_requests has the extract row."""
        from tests.integration.kafka_helpers import read_records

        wanted: list[dict[str, object]] = []
        count = 1
        while not wanted and count < 20:
            records = asyncio.run(read_records(settings, settings.topics.enriched, count, timeout_s=10))
            events = [json.loads(r.value) for r in records if b"model.extracted" in r.value]
            wanted = [e["data"] for e in events if e["data"]["name"] == student]
            count = len(records) + 1
        data = wanted[0]
        assert (student, PARENT, "layer-selection") == (data["name"], data["parent"], data["method"])
        with open_connection(settings) as conn:
            row = conn.execute("SELECT kind, models FROM inference_requests WHERE inputs->>'name' = %s", (student,)).fetchone()
        assert ("extract", [PARENT, student]) == row


class TestEnsembleWithStudent:
    """A query answered by MiniLM and its student: fused scores show each model's contribution."""

    def test_ensemble(self, settings: Settings, student: str, tag: str) -> None:
        """The student embeds the documents from its rows; both embedders contribute to the fused score."""
        from hartonomous.query.ensemble import search_ensemble
        from hartonomous.query.index import embed_documents
        from hartonomous.query.stored import StoredEncoder

        texts = [f"{g} [{tag}]" for g, _ in wordnet_glosses()[:40]]
        parent_embedder, student_embedder, category = f"q7-ens-parent-{tag}", student, f"q7-ens-{tag}"
        bulk_load(settings, texts, embed(settings, PARENT, texts, log=False).vectors, embedder=parent_embedder,
                  category=category)
        indexed = embed_documents(settings, student, category=category, log=False)
        assert 40 == indexed.embedded
        with open_connection(settings) as conn:
            parent_encoder = StoredEncoder.from_name(settings, conn, PARENT)
        result = search_ensemble(settings, "a living thing", [parent_embedder, student_embedder], method="weighted",
                                 weights=[0.7, 0.3], k=5, mode="exact", encoders={parent_embedder: parent_encoder})
        first = result.hits[0].contributions or {}
        expected = 0.7 * first[parent_embedder]["cosine"] + 0.3 * first[student_embedder]["cosine"]
        assert (5, pytest.approx(expected, abs=1e-5)) == (len(result.hits), result.hits[0].score)
