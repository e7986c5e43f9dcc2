"""Deduplication in the store: derived models write exactly the chunks the store lacks, and export
back byte for byte (their tensors may borrow stored chunk lists)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.formats import hash_file
from hartonomous.models import IngestOptions, export_model, ingest_model, resolve_source
from hartonomous.models import scenarios as sc
from hartonomous.models.dedup import file_chunks
from hartonomous.models.testing import write_tiny_bert
from hartonomous.store import connect, queries
from tests.integration.model_support import cleanup, model_settings, unique_name  # noqa: F401

pytestmark = pytest.mark.integration
SHAPE = {"vocab": 3000, "hidden": 384, "heads": 12, "layers": 3, "intermediate": 256}
CASES: dict[str, Callable[[Path, Path], Path]] = {
    "copy": lambda base, out: sc.copy_of(base, out),
    "frozen": lambda base, out: sc.fine_tune_frozen(base, out, frozen_layers=2),
    "extended": lambda base, out: sc.extend_embedding(base, out, 8),
    "subset": lambda base, out: sc.layer_subset(base, out, [0, 2]),
    "heads": lambda base, out: sc.prune_heads(base, out, heads=12, drop=[1, 5]),
}


def _expected_new_bytes(settings: Settings, path: Path) -> int:
    """Bytes of the file's chunks that the store lacks right now (each distinct chunk once)."""
    chunks = {c.hash: c.length for c in file_chunks(path, settings.model_chunking, settings.model_chunk_bytes)}
    with connect(settings) as conn:
        stored = {r[0] for r in conn.execute(queries(settings)["chunks_existing"], {"hashes": list(chunks)})}
    return sum(length for digest, length in chunks.items() if digest not in stored)


class TestDedupInStore:
    """Each derived case: new chunk bytes as predicted, the export identical to its file."""

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_derived_model(self, model_settings: Settings, tmp_path: Path, cleanup: list[str], case: str) -> None:
        """Base then derived (with the base as parent); the derived model's file comes back whole."""
        base = write_tiny_bert(tmp_path / "base", seed=random.randrange(1 << 30), **SHAPE) / "model.safetensors"
        derived = CASES[case](base, tmp_path / "derived.safetensors")
        names = unique_name(f"base-{case}"), unique_name(case)
        cleanup.extend(names)
        options = IngestOptions.from_settings(model_settings)
        sql = queries(model_settings)
        with connect(model_settings) as conn:
            ingest_model(conn, sql, resolve_source(base, (tmp_path,)), name=names[0], options=options)
            expected = _expected_new_bytes(model_settings, derived)
            result = ingest_model(conn, sql, resolve_source(derived, (tmp_path,)), name=names[1], options=options,
                                  parent=names[0], derivation=case)
            exported = export_model(conn, sql, names[1], tmp_path / "out.safetensors")
        assert (expected, names[0]) == (result.new_chunk_bytes, result.parent)
        assert hash_file(str(derived)) == hash_file(str(exported.weights))
        if case in ("copy", "subset"):
            assert 0 == result.new_chunk_bytes
