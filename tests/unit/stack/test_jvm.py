"""Maven resolution is skipped when the lib folder matches the pom."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hartonomous.stack import jvm


class TestEnsureLibs:
    """A lib folder stamped with the pom's hash is reused without running Maven."""

    def test_marker_matching_pom_skips_maven(self, tmp_path: Path) -> None:
        """Returns False (Maven not run) and leaves the jars alone."""
        pom = tmp_path / "pom.xml"
        pom.write_text("<project/>")
        lib = tmp_path / "lib"
        lib.mkdir()
        (lib / "a.jar").write_bytes(b"jar")
        (lib / ".resolved").write_text(hashlib.sha256(pom.read_bytes()).hexdigest() + "\n")
        assert not jvm.ensure_libs(pom, lib, log_path=tmp_path / "setup.log")
        assert (lib / "a.jar").exists()

    def test_classpath_is_a_wildcard(self, tmp_path: Path) -> None:
        """The classpath names every jar of the folder."""
        assert f"{tmp_path}/*" == jvm.classpath(tmp_path)
