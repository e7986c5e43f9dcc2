"""Cypher lives in ``neo4j/``; code loads it by name (``projection/event``, ``queries/lineage``).

Every statement is parameterised (``$rows``, ``$key``, ...); nothing is built from strings.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from hartonomous.config import Settings
from hartonomous.graph.exceptions import CypherNotFoundError

_NAME = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)*$")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def cypher_dir(settings: Settings) -> Path:
    """The ``neo4j/`` folder of the project."""
    return settings.project_root / "neo4j"


@cache
def _read(root: Path, name: str) -> str:
    if not _NAME.match(name):
        raise CypherNotFoundError(f"not a Cypher file name: {name!r}")
    path = root / f"{name}.cypher"
    if not path.is_file():
        raise CypherNotFoundError(f"no Cypher file named {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


class CypherLibrary:
    """The Cypher files under one folder: ``library["projection/event"]`` is the file's text."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @classmethod
    def of(cls, settings: Settings) -> CypherLibrary:
        """The project's ``neo4j/`` library."""
        return cls(cypher_dir(settings))

    @property
    def root(self) -> Path:
        """The folder the names are relative to."""
        return self._root

    def __getitem__(self, name: str) -> str:
        return _read(self._root, name)

    def statements(self, name: str) -> list[str]:
        """The ';'-separated statements of a file (comments removed), for schema files."""
        text = _COMMENT.sub("", self[name])
        return [part.strip() for part in text.split(";") if part.strip()]

    def names(self, folder: str) -> list[str]:
        """The names of the files in one sub-folder, sorted (``projection/event``, ...)."""
        return sorted(f"{folder}/{p.stem}" for p in (self._root / folder).glob("*.cypher"))
