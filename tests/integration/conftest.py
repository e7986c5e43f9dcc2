"""The real local stack, brought up once per test session.

``stack_settings`` starts whatever of Kafka, Neo4j and PostgreSQL is not already running (reusing
servers that are) and returns settings whose ``pg_url`` is resolved. It never stops anything:
other sessions and people may share these servers, and a server that is not ours is never
touched. ``.ci/run`` (or ``hartonomous stack down``) stops what ``stack up`` started.
"""

from __future__ import annotations

import pytest

from hartonomous import stack
from hartonomous.config import Settings


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    """Settings for the running stack; starts the servers that are down (fails, never skips)."""
    settings = Settings.from_env()
    stack.up(settings)
    return settings.replace(pg_url=stack.resolve_pg_url(settings))
