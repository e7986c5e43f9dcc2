"""Semantic enrichment of changes and commands: rules, facts, embed-job planning, events."""

from __future__ import annotations

from hartonomous.enrichment.events import (
    ENRICHER_SOURCE,
    decompose_job_event,
    derived_id,
    embed_job_event,
    enriched_event,
)
from hartonomous.enrichment.exceptions import EnrichmentError, UnsupportedCommandError
from hartonomous.enrichment.semantics import (
    DEFAULT_ENTITIES,
    TEXT_COLUMNS,
    ChangeFacts,
    EnrichmentRules,
    facts_of,
)

__all__ = [
    "DEFAULT_ENTITIES",
    "ENRICHER_SOURCE",
    "TEXT_COLUMNS",
    "ChangeFacts",
    "EnrichmentError",
    "EnrichmentRules",
    "UnsupportedCommandError",
    "decompose_job_event",
    "derived_id",
    "embed_job_event",
    "enriched_event",
    "facts_of",
]
