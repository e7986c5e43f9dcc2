"""The event types of the pipeline: reverse-DNS names that carry a version."""

from __future__ import annotations

from typing import Final

INGEST_REQUESTED: Final = "com.hartonomous.ingest.requested.v1"
CDC_ROW_CHANGED: Final = "com.hartonomous.cdc.row.changed.v1"
CHANGE_ENRICHED: Final = "com.hartonomous.change.enriched.v1"
JOB_EMBED_REQUESTED: Final = "com.hartonomous.job.embed.requested.v1"
JOB_DECOMPOSE_REQUESTED: Final = "com.hartonomous.job.decompose.requested.v1"
EMBEDDING_CREATED: Final = "com.hartonomous.embedding.created.v1"
MODEL_DECOMPOSED: Final = "com.hartonomous.model.decomposed.v1"
MODEL_EXTRACTED: Final = "com.hartonomous.model.extracted.v1"
INFERENCE_LOGGED: Final = "com.hartonomous.inference.logged.v1"
PING: Final = "com.hartonomous.ping.v1"

# Microsoft's own envelope for SQL Server 2025 Change Event Streaming.
SQLSERVER_CES_DML: Final = "com.microsoft.SQL.CES.DML.V1"

SCHEMA_BASE_URI: Final = "https://schemas.hartonomous.dev/"


def schema_uri(event_type: str) -> str:
    """The ``dataschema`` URI of a type; it is also the ``$id`` of ``schemas/<type>.json``."""
    return f"{SCHEMA_BASE_URI}{event_type}.json"
