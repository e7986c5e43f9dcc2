"""Content hashes: BLAKE3 by default, SHA-256 on request."""

from __future__ import annotations

import hashlib
from pathlib import Path

import blake3
import pytest

from hartonomous.formats import DEFAULT_ALGORITHM, hash_bytes, hash_file, hash_stream


class TestHashing:
    """Digests equal the reference libraries' for whole, streamed and file inputs."""

    def test_default_is_blake3(self) -> None:
        """The default algorithm is BLAKE3."""
        assert "blake3" == DEFAULT_ALGORITHM
        assert blake3.blake3(b"abc").hexdigest() == hash_bytes(b"abc")

    def test_sha256(self) -> None:
        """SHA-256 is available and equals hashlib's."""
        assert hashlib.sha256(b"abc").hexdigest() == hash_bytes(memoryview(b"abc"), "sha256")

    def test_stream_and_file(self, tmp_path: Path) -> None:
        """Hashing parts or a file in blocks equals hashing the whole."""
        data = bytes(range(256)) * 1000
        path = tmp_path / "f"
        path.write_bytes(data)
        for algorithm in ("blake3", "sha256"):
            whole = hash_bytes(data, algorithm)
            assert whole == hash_stream([data[:1000], data[1000:]], algorithm)
            assert whole == hash_file(str(path), algorithm, block=4096)

    def test_unknown_algorithm(self) -> None:
        """An unknown algorithm is a clear error."""
        with pytest.raises(ValueError, match="unknown hash algorithm"):
            hash_bytes(b"", "md5")
