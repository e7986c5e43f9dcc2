"""Bad model files are refused with a clear error and leave no row behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.formats import CorruptModelFileError, ModelFormatError, UnsafeModelFileError
from hartonomous.models import IngestOptions, ingest_model, model_by_name, resolve_source
from hartonomous.models import testing as bad
from hartonomous.store import connect, queries
from tests.integration.model_support import model_settings, row_counts, unique_name  # noqa: F401

pytestmark = pytest.mark.integration

CASES: dict[str, tuple[Callable[[Path], Path], type[ModelFormatError], str]] = {
    "pickle_reduce": (lambda d: bad.write_marker_pickle(d / "evil.pt", d / "marker"), UnsafeModelFileError,
                      "posix.system"),
    "truncated_safetensors": (lambda d: bad.write_truncated(bad.write_tiny_bert(d / "ok") / "model.safetensors",
                                                            d / "cut.safetensors"),
                              CorruptModelFileError, "run past the end"),
    "overlapping_offsets": (lambda d: bad.write_overlapping_safetensors(d / "overlap.safetensors"),
                            CorruptModelFileError, "overlap"),
    "gguf_offset_outside": (lambda d: bad.write_gguf_offset_outside(d / "bad.gguf"), CorruptModelFileError,
                            "points outside the file"),
    "onnx_external_escape": (lambda d: bad.write_onnx_escaping(d / "onnx"), UnsafeModelFileError,
                             "escapes the model folder"),
}


class TestBadFiles:
    """Each bad file: the reader's error, no model row, no row in any model table."""

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_refused_and_nothing_stored(self, model_settings: Settings, tmp_path: Path, case: str) -> None:
        """Refused with the named error; every model table has as many rows as before."""
        make, error, message = CASES[case]
        path = make(tmp_path)
        name = unique_name(case)
        before = row_counts(model_settings)
        with connect(model_settings) as conn, pytest.raises(error, match=message):
            ingest_model(conn, queries(model_settings), resolve_source(path, (tmp_path,)), name=name,
                         options=IngestOptions.from_settings(model_settings))
        assert before == row_counts(model_settings)
        with connect(model_settings) as conn:
            assert model_by_name(conn, queries(model_settings), name) is None
        assert not (tmp_path / "marker").exists()

    def test_failure_half_way_rolls_back(self, model_settings: Settings, tmp_path: Path) -> None:
        """A file that turns out corrupt after tensors were written leaves nothing either."""
        folder = bad.write_tiny_bert(tmp_path / "m")
        source = resolve_source(folder, (tmp_path,))
        calls: list[str] = []

        def fail_late(done: int, total: int, tensor: str) -> None:
            calls.append(tensor)
            if len(calls) == 30:
                raise CorruptModelFileError(source.weights, "simulated: corrupt after 30 tensors")

        before = row_counts(model_settings)
        with connect(model_settings) as conn, pytest.raises(CorruptModelFileError, match="after 30 tensors"):
            ingest_model(conn, queries(model_settings), source, name=unique_name("late"),
                         options=IngestOptions(flush_bytes=1), progress=fail_late)
        assert before == row_counts(model_settings)
