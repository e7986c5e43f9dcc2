"""Errors of the local stack. Each one says which log file to read."""

from __future__ import annotations

from pathlib import Path

from hartonomous.exceptions import HartonomousError


class StackError(HartonomousError):
    """A local server could not be prepared, started, stopped or reached."""

    def __init__(self, message: str, *, log_path: Path | None = None) -> None:
        self.log_path = log_path
        if log_path is not None:
            message = f"{message} (read {log_path})"
        super().__init__(message)


class ArtifactError(StackError):
    """The jars of a JVM server could not be resolved with Maven."""


class StartupTimeout(StackError):
    """A server did not become ready within ``startup_timeout_s``."""


class ServiceExited(StackError):
    """A server process exited while we waited for it to become ready."""
