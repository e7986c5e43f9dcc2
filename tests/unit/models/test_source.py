"""What a path holds: the model file chosen by its bytes, sidecars kept, the path policy applied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hartonomous.ingest import OutsideAllowedRootsError
from hartonomous.models import NoModelFileError, resolve_source
from hartonomous.models.testing import write_marker_pickle, write_tiny_bert, write_tiny_gguf


class TestResolveSource:
    """Folders and single files."""

    def test_folder_with_sidecars_in_subfolders(self, tmp_path: Path) -> None:
        """The safetensors is the model; config, tokenizer and 1_Pooling/config.json are sidecars."""
        folder = write_tiny_bert(tmp_path / "m")
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text("{}")
        (folder / ".hidden").write_text("x")
        source = resolve_source(folder, (tmp_path,))
        assert ("model.safetensors", "safetensors", "m") == (source.weights_path, source.format.value, source.default_name)
        assert ["1_Pooling/config.json", "config.json", "tokenizer.json"] == [s.path for s in source.sidecars]
        assert b"{}" == source.sidecars[0].content

    def test_model_file_found_by_bytes_and_preferred_by_format(self, tmp_path: Path) -> None:
        """A GGUF named .bin is recognised; next to a safetensors, the safetensors is the model."""
        folder = write_tiny_bert(tmp_path / "m")
        write_tiny_gguf(folder / "weights.bin")
        source = resolve_source(folder, (tmp_path,))
        assert "model.safetensors" == source.weights_path
        assert ("weights.bin", "another model file") in source.skipped

    def test_sharded_checkpoint_refused(self, tmp_path: Path) -> None:
        """Two safetensors files are not one model here."""
        folder = write_tiny_bert(tmp_path / "m")
        shutil.copyfile(folder / "model.safetensors", folder / "model-2.safetensors")
        with pytest.raises(NoModelFileError, match="sharded"):
            resolve_source(folder, (tmp_path,))

    def test_no_model_file(self, tmp_path: Path) -> None:
        """A folder of text is refused, naming a bare pickle it skipped."""
        folder = tmp_path / "empty"
        folder.mkdir()
        (folder / "notes.txt").write_text("hello")
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")
        with pytest.raises(NoModelFileError, match="pytorch_model.bin: a bare pickle"):
            resolve_source(folder, (tmp_path,))

    def test_single_file_takes_hf_sidecars(self, tmp_path: Path) -> None:
        """A model file alone brings its config.json and tokenizer.json, not other files."""
        folder = write_tiny_bert(tmp_path / "m")
        (folder / "other.txt").write_text("x")
        source = resolve_source(folder / "model.safetensors", (tmp_path,))
        assert ["config.json", "tokenizer.json"] == [s.path for s in source.sidecars]

    def test_outside_allowed_roots(self, tmp_path: Path) -> None:
        """The path policy of ingestion applies: outside the roots is refused."""
        folder = write_tiny_bert(tmp_path / "m")
        with pytest.raises(OutsideAllowedRootsError):
            resolve_source(folder, (tmp_path / "elsewhere",))

    def test_torch_zip_is_a_model_file_even_if_malicious(self, tmp_path: Path) -> None:
        """Detection reads the magic only; the unpickler refuses it later, unrun."""
        folder = tmp_path / "evil"
        folder.mkdir()
        write_marker_pickle(folder / "model.pt", tmp_path / "marker")
        assert "torch" == resolve_source(folder, (tmp_path,)).format.value
        assert not (tmp_path / "marker").exists()
