from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.ingest import (
    MalformedRequestError,
    OutsideAllowedRootsError,
    RemoteUriRefusedError,
    SourceNotFoundError,
    allowed_roots,
    path_of_uri,
    select_files,
    to_file_uri,
)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """An allowed root with files, a hidden file, an escaping symlink and a linked directory."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.md").write_text("b")
    (root / ".hidden.txt").write_text("h")
    (outside / "secret.txt").write_text("s")
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    (root / "inside-link.txt").symlink_to(root / "a.txt")
    (root / "linked-dir").symlink_to(outside)
    return root.resolve(), outside.resolve()


class TestPathOfUri:
    """Only local file URIs name paths; everything else is refused with a clear error."""

    def test_file_uri_round_trip(self, tmp_path: Path) -> None:
        """A path turned into a URI comes back as the same path (percent-encoding included)."""
        path = tmp_path / "a dir" / "ü.txt"
        assert path == path_of_uri(to_file_uri(path))

    def test_localhost_is_local(self) -> None:
        """file://localhost/x is the local /x."""
        assert Path("/x/y") == path_of_uri("file://localhost/x/y")

    @pytest.mark.parametrize("uri", ["https://example.com/a.txt", "s3://bucket/key", "file://otherhost/x"])
    def test_remote_is_refused(self, uri: str) -> None:
        """Remote schemes and file URIs on another host are refused."""
        with pytest.raises(RemoteUriRefusedError, match="refused"):
            path_of_uri(uri)

    @pytest.mark.parametrize("uri", ["relative/path.txt", "file:relative.txt", "file:///x?y=1"])
    def test_malformed_is_refused(self, uri: str) -> None:
        """A bare path, a relative file URI and a query are malformed."""
        with pytest.raises(MalformedRequestError):
            path_of_uri(uri)


class TestSelectFiles:
    """Files under the roots are selected; escapes are refused and reported."""

    def test_directory_walk(self, tree: tuple[Path, Path]) -> None:
        """Regular files and inside links are read; hidden files skipped; escapes reported."""
        root, _ = tree
        selection = select_files(to_file_uri(root), [root])
        assert [root / "a.txt", root / "a.txt", root / "sub" / "b.md"] == sorted(selection.files)
        refused = dict(selection.refused)
        assert {str(root / "escape.txt"), str(root / "linked-dir")} == set(refused)
        assert "symlink" in refused[str(root / "escape.txt")]
        assert "not followed" in refused[str(root / "linked-dir")]

    def test_outside_path_is_refused(self, tree: tuple[Path, Path]) -> None:
        """A path outside every root raises, naming the roots."""
        root, outside = tree
        with pytest.raises(OutsideAllowedRootsError, match="outside the allowed roots"):
            select_files(to_file_uri(outside / "secret.txt"), [root])

    def test_escaping_symlink_is_refused(self, tree: tuple[Path, Path]) -> None:
        """A symlink under the root that resolves outside it is refused as a symlink escape."""
        root, _ = tree
        with pytest.raises(OutsideAllowedRootsError, match="symlink resolves it"):
            select_files(to_file_uri(root / "escape.txt"), [root])

    def test_dot_dot_cannot_escape(self, tree: tuple[Path, Path]) -> None:
        """root/../outside is outside."""
        root, _ = tree
        with pytest.raises(OutsideAllowedRootsError):
            select_files(to_file_uri(root) + "/../outside/secret.txt", [root])

    def test_missing_path(self, tree: tuple[Path, Path]) -> None:
        """A path that does not exist is reported as such."""
        root, _ = tree
        with pytest.raises(SourceNotFoundError):
            select_files(to_file_uri(root / "nope.txt"), [root])


class TestAllowedRoots:
    """Configured roots are used; none configured means the working directory."""

    def test_default_is_cwd(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An empty setting gives the current working directory."""
        monkeypatch.chdir(tmp_path)
        assert (tmp_path.resolve(),) == allowed_roots(Settings())

    def test_configured(self, tmp_path: Path) -> None:
        """Configured roots are resolved."""
        assert (tmp_path.resolve(),) == allowed_roots(Settings(allowed_roots=(tmp_path / "x" / "..",)))
