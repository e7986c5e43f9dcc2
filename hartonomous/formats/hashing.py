"""Content hashes: BLAKE3 (default) or SHA-256, as lowercase hex."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

import blake3

from hartonomous.formats.model import Buffer

DEFAULT_ALGORITHM = "blake3"
ALGORITHMS = ("blake3", "sha256")


class Hasher(Protocol):
    """An incremental hash: ``update`` with bytes, then ``hexdigest``."""

    def update(self, data: Buffer, /) -> object:
        """Feed more bytes."""
        ...

    def hexdigest(self) -> str:
        """The digest of everything fed so far, as lowercase hex."""
        ...


def new_hasher(algorithm: str = DEFAULT_ALGORITHM) -> Hasher:
    """A fresh incremental hasher for ``algorithm`` (``blake3`` or ``sha256``)."""
    if algorithm == "blake3":
        hasher: Hasher = blake3.blake3()
        return hasher
    if algorithm == "sha256":
        return hashlib.sha256()
    raise ValueError(f"unknown hash algorithm {algorithm!r}; use one of {ALGORITHMS}")


def hash_bytes(data: Buffer, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The hex digest of ``data``."""
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return hasher.hexdigest()


def hash_stream(parts: Iterable[Buffer], algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The hex digest of the concatenation of ``parts`` (e.g. a file read in blocks)."""
    hasher = new_hasher(algorithm)
    for part in parts:
        hasher.update(part)
    return hasher.hexdigest()


def hash_file(path: str, algorithm: str = DEFAULT_ALGORITHM, block: int = 8 << 20) -> str:
    """The hex digest of a file, read in ``block``-byte pieces."""
    with open(path, "rb") as fh:
        return hash_stream(iter(lambda: fh.read(block), b""), algorithm)
