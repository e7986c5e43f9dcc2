"""The ingestion path policy: which URIs may be read, and the files a request covers.

- Only ``file://`` URIs are read (host empty or ``localhost``); ``http``, ``s3`` and every
  other scheme are refused, and so is a file URI naming another host.
- The path, with every symlink resolved, must lie under one of the allowed roots (resolved
  too). A symlink inside a root that points outside it is refused like any outside path.
- A directory is walked without following directory symlinks; hidden entries (``.name``) are
  skipped; each file found passes the same check, and refused ones are reported, not read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hartonomous.config import Settings
from hartonomous.ingest.exceptions import (
    MalformedRequestError,
    OutsideAllowedRootsError,
    RemoteUriRefusedError,
    SourceNotFoundError,
)


@dataclass(frozen=True)
class FileSelection:
    """The files of one request: those to read, and those refused with the reason."""

    root: Path
    files: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def allowed_roots(settings: Settings) -> tuple[Path, ...]:
    """The configured roots, or the current working directory when none is configured."""
    roots = settings.allowed_roots or (Path.cwd(),)
    return tuple(Path(r).expanduser().resolve() for r in roots)


def to_file_uri(path: str | os.PathLike[str]) -> str:
    """A ``file://`` URI for a local path (absolute; symlinks are left for the policy to judge)."""
    return Path(os.path.abspath(os.fspath(path))).as_uri()


def path_of_uri(uri: str) -> Path:
    """The local path a ``file://`` URI names; refuse remote URLs and malformed URIs."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme != "file":
        if scheme:
            raise RemoteUriRefusedError(
                f"refused {uri!r}: only file:// URIs are ingested ({scheme}:// is remote)"
            )
        raise MalformedRequestError(f"{uri!r} is not a URI: use file:///absolute/path")
    if parts.netloc not in ("", "localhost"):
        raise RemoteUriRefusedError(f"refused {uri!r}: file URI on host {parts.netloc!r} is remote")
    if parts.query or parts.fragment:
        raise MalformedRequestError(f"{uri!r}: a file URI has no query or fragment")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise MalformedRequestError(f"{uri!r}: the path of a file URI must be absolute")
    return path


def check_allowed(path: Path, roots: Sequence[Path]) -> Path:
    """``path`` with symlinks resolved, if that lies under an allowed root; else refuse.

    The root check comes first, so a refusal never tells whether a path outside exists.
    """
    try:
        real = path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loop, permission
        raise SourceNotFoundError(f"{path} cannot be resolved: {exc}") from exc
    if not any(real.is_relative_to(root) for root in roots):
        shown = ", ".join(str(r) for r in roots)
        lexical = Path(os.path.normpath(path))
        if any(lexical.is_relative_to(root) for root in roots):
            raise OutsideAllowedRootsError(
                f"refused {path}: a symlink resolves it to {real}, outside the allowed roots ({shown})"
            )
        raise OutsideAllowedRootsError(f"refused {path}: outside the allowed roots ({shown})")
    if not real.exists():
        raise SourceNotFoundError(f"{path} does not exist")
    return real


def select_files(uri: str, roots: Sequence[Path]) -> FileSelection:
    """Apply the policy to a request's URI: the files to read (sorted) and those refused."""
    real = check_allowed(path_of_uri(uri), roots)
    if real.is_file():
        return FileSelection(real, [real])
    if not real.is_dir():
        raise SourceNotFoundError(f"{real} is neither a regular file nor a directory")
    selection = FileSelection(real)
    for dirpath, dirnames, filenames in os.walk(real, followlinks=False):
        base = Path(dirpath)
        for name in sorted(dirnames):
            if (base / name).is_symlink() and not name.startswith("."):
                selection.refused.append((str(base / name), "directory symlink not followed"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            candidate = base / name
            try:
                resolved = check_allowed(candidate, roots)
            except (OutsideAllowedRootsError, SourceNotFoundError) as exc:
                selection.refused.append((str(candidate), str(exc)))
                continue
            if resolved.is_file():
                selection.files.append(resolved)
    return selection
