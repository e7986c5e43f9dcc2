"""Errors of the enricher's logic."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class EnrichmentError(HartonomousError):
    """Base of enrichment errors; the event that raised it goes to the DLQ."""


class UnsupportedCommandError(EnrichmentError):
    """An event type the enricher does not handle arrived on one of its topics."""
