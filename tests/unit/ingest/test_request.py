from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.events import SchemaRegistry, types
from hartonomous.ingest import MalformedRequestError, build_ingest_request, resolve_kind
from hartonomous.ingest.request import check_request_target

REGISTRY = SchemaRegistry(Settings().schemas_dir)


class TestBuildIngestRequest:
    """Requests carry a file URI, validate against their schema, and refuse bad options early."""

    def test_path_becomes_file_uri(self, tmp_path: Path) -> None:
        """A path is made absolute and turned into a file:// URI; the event validates."""
        event = build_ingest_request(tmp_path / "docs", kind="document", category="manuals", chunk_size=300)
        REGISTRY.validate(event)
        assert types.INGEST_REQUESTED == event.get_type()
        assert {"uri": (tmp_path / "docs").as_uri(), "kind": "document", "category": "manuals",
                "options": {"chunk_size": 300}} == event.get_data()
        assert (tmp_path / "docs").as_uri() == event.get_extension("partitionkey")

    def test_uri_is_kept(self) -> None:
        """A URI given as such is passed on (the consumer judges it)."""
        assert "https://x/y" == build_ingest_request("https://x/y").get_data()["uri"]  # type: ignore[index]

    @pytest.mark.parametrize("kwargs", [{"kind": "video"}, {"chunk_size": 10}, {"chunk_size": 100, "chunk_overlap": 60}])
    def test_bad_options(self, kwargs: dict[str, object]) -> None:
        """An unknown kind and impossible chunking are refused before anything is sent."""
        with pytest.raises(MalformedRequestError):
            build_ingest_request("/tmp", **kwargs)  # type: ignore[arg-type]

    def test_early_policy_check(self, tmp_path: Path) -> None:
        """The SDK applies the same policy as the consumer."""
        from hartonomous.ingest import OutsideAllowedRootsError

        with pytest.raises(OutsideAllowedRootsError):
            check_request_target(Settings(allowed_roots=(tmp_path / "root",)), (tmp_path / "elsewhere").as_uri())


class TestResolveKind:
    """auto picks model for model files (or folders holding one), document otherwise."""

    def test_auto(self, tmp_path: Path) -> None:
        """By extension for files; by content for folders; explicit kinds are kept."""
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "model.safetensors").write_bytes(b"")
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "a.txt").write_text("x")
        assert ["model", "document", "model", "document", "model"] == [
            resolve_kind(tmp_path / "m" / "model.safetensors", "auto"), resolve_kind(tmp_path / "d" / "a.txt", "auto"),
            resolve_kind(tmp_path / "m", "auto"), resolve_kind(tmp_path / "d", "auto"),
            resolve_kind(tmp_path / "d", "model"),
        ]
