"""What every local server offers the stack: ``up``, ``down`` and ``status``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hartonomous.config import Settings


@dataclass(frozen=True)
class ServiceDirs:
    """Where one server keeps its files under the state directory."""

    root: Path

    @classmethod
    def of(cls, settings: Settings, name: str) -> ServiceDirs:
        return cls(settings.state_path / name)

    @property
    def log(self) -> Path:
        """The server's own stdout/stderr."""
        return self.root / "server.log"

    @property
    def pid(self) -> Path:
        return self.root / "server.pid"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def lib(self) -> Path:
        return self.root / "lib"

    @property
    def setup_log(self) -> Path:
        """Output of preparation steps (maven, storage format, initdb)."""
        return self.root / "setup.log"


@dataclass(frozen=True)
class StartResult:
    """The outcome of ``up`` for one server.

    ``state`` is ``started`` (we launched it now), ``running`` (ours, already up) or
    ``external`` (someone else's server answers at the configured address; left alone).
    """

    name: str
    state: str
    seconds: float
    address: str
    pid: int | None


@dataclass(frozen=True)
class ServiceStatus:
    """One row of ``stack status``."""

    name: str
    healthy: bool
    address: str
    pid: int | None
    detail: str = ""

    @property
    def state(self) -> str:
        return "healthy" if self.healthy else "down"


class Service(Protocol):
    """A local server the stack can start, stop and check."""

    name: str

    def up(self, settings: Settings) -> StartResult:
        """Start the server unless it already answers; wait until it is ready."""
        ...

    def down(self, settings: Settings) -> bool:
        """Stop the server if ``up`` started it; True if something was stopped."""
        ...

    def status(self, settings: Settings) -> ServiceStatus:
        """Ask the server a real question and report."""
        ...
