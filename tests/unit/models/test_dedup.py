"""The dedup cases measured in memory: what each chunking keeps of a derived model."""

from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.models import scenarios
from hartonomous.models.dedup import FILE_FIXED, measure
from hartonomous.models.testing import write_tiny_bert

SHAPE = {"vocab": 3000, "hidden": 64, "heads": 4, "layers": 4, "intermediate": 256}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small BERT-named model with a 768 KB embedding matrix."""
    return write_tiny_bert(tmp_path_factory.mktemp("base"), **SHAPE) / "model.safetensors"


class TestDedupCases:
    """Row-aligned chunks keep what per-tensor and whole-file chunking lose."""

    def test_same_file(self, base: Path, tmp_path: Path) -> None:
        """A copy is entirely stored already."""
        assert 1.0 == measure(base, scenarios.copy_of(base, tmp_path / "c.safetensors"), "rows").ratio

    def test_frozen_layers(self, base: Path, tmp_path: Path) -> None:
        """Embeddings and the two frozen layers dedup; the perturbed layers do not."""
        derived = scenarios.fine_tune_frozen(base, tmp_path / "f.safetensors", frozen_layers=2)
        figure = measure(base, derived, "rows")
        assert 0.5 < figure.ratio < 0.95
        assert figure.ratio == measure(base, derived, "tensor").ratio

    def test_extended_embedding(self, base: Path, tmp_path: Path) -> None:
        """Eight new tokens: rows keep nearly all; whole tensors lose the matrix; the whole file loses the rest."""
        derived = scenarios.extend_embedding(base, tmp_path / "e.safetensors", 8)
        rows, tensor, whole = (measure(base, derived, s).ratio for s in ("rows", "tensor", FILE_FIXED))
        assert rows > 0.95
        assert tensor < 0.6
        assert whole < rows

    def test_layer_subset(self, base: Path, tmp_path: Path) -> None:
        """Renumbered layers are the same bytes: all stored; a whole-file chunking finds little."""
        derived = scenarios.layer_subset(base, tmp_path / "s.safetensors", [0, 2])
        assert 1.0 == measure(base, derived, "rows").ratio
        assert measure(base, derived, FILE_FIXED).ratio < 0.9

    def test_pruned_heads(self, tmp_path: Path) -> None:
        """Without one head of twelve (MiniLM's width), the kept heads' Q/K/V chunks are still
        stored under row-aligned chunks, not under fixed 64 KiB ones (the output projection,
        which loses columns, is new under both)."""
        wide = write_tiny_bert(tmp_path / "w", vocab=200, hidden=384, heads=12, layers=1, intermediate=64)
        base = wide / "model.safetensors"
        derived = scenarios.prune_heads(base, tmp_path / "h.safetensors", heads=12, drop=[1])
        rows, fixed = measure(base, derived, "rows").ratio, measure(base, derived, "fixed").ratio
        assert rows > fixed + 0.05
