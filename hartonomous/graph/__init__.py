"""The provenance graph in Neo4j: the adapter, the projection of events, the audit queries.

The Cypher itself lives in ``neo4j/`` (constraints, ``projection/``, ``offsets/``, ``queries/``)
and is loaded by name.
"""

from __future__ import annotations

from hartonomous.graph.client import GraphClient, driver_auth
from hartonomous.graph.cypher import CypherLibrary
from hartonomous.graph.exceptions import (
    CypherNotFoundError,
    GraphError,
    GraphTransientError,
    GraphWriteError,
    ProjectionError,
    is_transient,
    translate,
)
from hartonomous.graph.offsets import BatchItem, BatchPlan, OffsetState, offset_key, plan_batch
from hartonomous.graph.projection import STATEMENT_ORDER, Origin, Projection, combine, project
from hartonomous.graph.sink import Neo4jProjectionStore, PartitionKey, ProjectionStore

__all__ = [
    "STATEMENT_ORDER",
    "BatchItem",
    "BatchPlan",
    "CypherLibrary",
    "CypherNotFoundError",
    "GraphClient",
    "GraphError",
    "GraphTransientError",
    "GraphWriteError",
    "Neo4jProjectionStore",
    "OffsetState",
    "Origin",
    "PartitionKey",
    "Projection",
    "ProjectionError",
    "ProjectionStore",
    "combine",
    "driver_auth",
    "is_transient",
    "offset_key",
    "plan_batch",
    "project",
    "translate",
]
