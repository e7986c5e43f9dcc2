"""The local stack without Docker: Kafka (KRaft), Neo4j (embedded, Bolt), PostgreSQL + pgvector.

``hartonomous stack up|down|status`` fronts this package; tests use :func:`up` through the
``stack_settings`` fixture; everyone resolves the database with :func:`resolve_pg_url`.
"""

from __future__ import annotations

from hartonomous.stack.exceptions import ArtifactError, ServiceExited, StackError, StartupTimeout
from hartonomous.stack.manager import SERVICE_NAMES, down, fetch, services, status, up
from hartonomous.stack.postgres import resolve_pg_url
from hartonomous.stack.service import ServiceStatus, StartResult

__all__ = [
    "SERVICE_NAMES",
    "ArtifactError",
    "ServiceExited",
    "ServiceStatus",
    "StackError",
    "StartResult",
    "StartupTimeout",
    "down",
    "fetch",
    "resolve_pg_url",
    "services",
    "status",
    "up",
]
