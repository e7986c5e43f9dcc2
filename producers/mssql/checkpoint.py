"""The poller's checkpoint: the last ``to_lsn`` whose changes are all on Kafka, and the capture
instances it covers. A JSON file written atomically (temp file, fsync, rename)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hartonomous.cdc import SourceError
from producers.mssql.lsn import lsn_from_hex, lsn_hex


@dataclass(frozen=True, slots=True)
class Checkpoint:
    last_lsn: bytes | None = None
    instances: frozenset[str] = field(default_factory=frozenset)


class FileCheckpointStore:
    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> Checkpoint:
        if not self._path.exists():
            return Checkpoint()
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            return Checkpoint(lsn_from_hex(data["last_lsn"]), frozenset(data.get("instances", [])))
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"checkpoint {self._path} is unreadable: {exc}") from exc

    def save(self, checkpoint: Checkpoint) -> None:
        if checkpoint.last_lsn is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        payload = {"last_lsn": lsn_hex(checkpoint.last_lsn), "instances": sorted(checkpoint.instances)}
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
