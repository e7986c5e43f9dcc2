"""Metadata for the store: text PostgreSQL accepts, small summaries, GGUF key/values round trip."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hartonomous.formats import open_model
from hartonomous.models.metadata import clean_text, gguf_kvs_document, jsonb_safe, kvs_from_document, summary
from hartonomous.models.testing import write_tiny_gguf


class TestCleanText:
    """NUL and bytes that were not UTF-8 become visible escapes."""

    def test_nul_and_surrogates(self) -> None:
        """A surrogate-escaped byte shows as \\xNN, NUL as \\x00, the rest is kept."""
        assert "a\\x00b\\xffé" == clean_text("a\x00b" + b"\xff".decode("utf-8", "surrogateescape") + "é")

    def test_jsonb_safe(self) -> None:
        """NaN and inf become strings, nested values are cleaned."""
        assert {"a": ["nan", 1.5, "inf"], "b": {"c\\x00": None}} == jsonb_safe(
            {"a": [math.nan, 1.5, math.inf], "b": {"c\x00": None}})


class TestGGUFMetadata:
    """The full typed key/values survive the document; the row summary stays small."""

    def test_document_round_trip(self, tmp_path: Path) -> None:
        """Keys, values and GGUF types come back in file order."""
        with open_model(write_tiny_gguf(tmp_path / "t.gguf")) as model:
            document = gguf_kvs_document(model)
            assert document is not None
            assert list(model.kvs) == kvs_from_document(document)  # type: ignore[attr-defined]

    def test_summary_leaves_out_long_arrays(self, tmp_path: Path) -> None:
        """Scalars are in the summary; a 2000-token list is not (it lives in the document)."""
        from gguf import GGUFWriter

        path = tmp_path / "long.gguf"
        writer = GGUFWriter(path, "llama")
        writer.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(2000)])
        writer.add_uint32("llama.block_count", 3)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with open_model(path) as model:
            meta = summary(model)
        assert 3 == meta["gguf"]["llama.block_count"]
        assert "tokenizer.ggml.tokens" not in meta["gguf"]
        assert {"source": "gguf", "model": None, "size": 2000} == meta["tokenizer"]
        assert len(json.dumps(meta)) < 4096

    def test_not_gguf_has_no_document(self, tmp_path: Path) -> None:
        """Other formats have no key/values document; safetensors metadata keeps its key order."""
        from hartonomous.models.testing import write_tiny_bert

        with open_model(write_tiny_bert(tmp_path / "b") / "model.safetensors") as model:
            assert gguf_kvs_document(model) is None
            meta = summary(model)
        assert {"source": "hartonomous-test", "format": "pt"} == meta["safetensors_metadata"]
        assert ["source", "format"] == meta["safetensors_metadata_order"]
