"""SQL lives in ``sql/postgres/``; code loads it by name.

- ``sql/postgres/NNN_name.sql``: ordered migrations, applied once each.
- ``sql/postgres/queries/<name>.sql``: named statements, always with placeholders
  (``%(name)s`` for psycopg), never built from strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hartonomous.store.exceptions import SqlNotFoundError

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(sql_dir: Path) -> list[Migration]:
    """All migrations in version order; two files with one version number are an error."""
    found: dict[int, Migration] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise SqlNotFoundError(f"two migrations share version {version:03d}: {path.name}")
        found[version] = Migration(version, path.stem, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


@cache
def _query_text(queries_dir: Path, name: str) -> str:
    path = queries_dir / f"{name}.sql"
    if not path.is_file():
        raise SqlNotFoundError(f"no query named {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


class Queries:
    """Named statements of ``sql/postgres/queries``: ``Queries(dir)["upsert_document"]``."""

    def __init__(self, queries_dir: Path) -> None:
        self._dir = queries_dir

    def __getitem__(self, name: str) -> str:
        return _query_text(self._dir, name)
