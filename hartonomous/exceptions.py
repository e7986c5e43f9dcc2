"""The root of every error Hartonomous raises on purpose."""

from __future__ import annotations


class HartonomousError(Exception):
    """Base class: catch this to handle any named Hartonomous failure."""


class ConfigError(HartonomousError):
    """A setting is missing or malformed."""
