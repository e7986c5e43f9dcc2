"""Errors raised by the model file readers and writers.

Every message names the file and what is wrong with it, so that a DLQ entry is enough to act on.
"""

from __future__ import annotations

from os import PathLike

from hartonomous.exceptions import HartonomousError


class ModelFormatError(HartonomousError):
    """Base class for every model-file problem."""

    def __init__(self, path: str | PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CorruptModelFileError(ModelFormatError):
    """The file claims a known format but is truncated, inconsistent or out of bounds."""


class UnsafeModelFileError(ModelFormatError):
    """The file would run code or reach outside its folder if loaded; it was refused unread."""


class UnsupportedModelFormatError(ModelFormatError):
    """The file is not a format (or a variant of one) that Hartonomous can read."""
