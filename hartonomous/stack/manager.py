"""The whole local stack: Kafka, Neo4j and PostgreSQL, started and stopped together."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from structlog.typing import FilteringBoundLogger

from hartonomous.config import Settings
from hartonomous.logging import get_logger
from hartonomous.stack import kafka, neo4j
from hartonomous.stack.exceptions import StackError
from hartonomous.stack.kafka import KafkaService
from hartonomous.stack.neo4j import Neo4jService
from hartonomous.stack.postgres import PostgresService
from hartonomous.stack.service import Service, ServiceStatus, StartResult


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack")


SERVICE_NAMES: tuple[str, ...] = ("kafka", "neo4j", "postgres")


def services(names: Sequence[str] | None = None) -> list[Service]:
    """The services named (all, in start order, when ``names`` is empty or None)."""
    table: dict[str, Service] = {
        "kafka": KafkaService(),
        "neo4j": Neo4jService(),
        "postgres": PostgresService(),
    }
    unknown = sorted(set(names or ()) - set(table))
    if unknown:
        raise StackError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(table)}")
    wanted = set(names) if names else set(table)
    return [svc for name, svc in table.items() if name in wanted]


@contextmanager
def _stack_lock(settings: Settings) -> Iterator[None]:
    """One ``up``/``down`` at a time per state directory (other sessions wait their turn)."""
    settings.state_path.mkdir(parents=True, exist_ok=True)
    with (settings.state_path / "stack.lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def up(settings: Settings, names: Sequence[str] | None = None) -> list[StartResult]:
    """Start the named services (all by default) and wait until each answers. Idempotent."""
    with _stack_lock(settings):
        results = [svc.up(settings) for svc in services(names)]
    _log().info("stack_up", **{r.name: r.state for r in results})
    return results


def down(settings: Settings, names: Sequence[str] | None = None) -> dict[str, bool]:
    """Stop the named services that ``up`` started, in reverse order; name -> was stopped."""
    with _stack_lock(settings):
        stopped = {svc.name: svc.down(settings) for svc in reversed(services(names))}
    _log().info("stack_down", **stopped)
    return stopped


def fetch(settings: Settings) -> dict[str, bool]:
    """Resolve the JVM servers' jars ahead of ``up`` (CI setup); name -> whether Maven ran."""
    with _stack_lock(settings):
        return {"kafka": kafka.fetch(settings), "neo4j": neo4j.fetch(settings)}


def status(settings: Settings, names: Sequence[str] | None = None) -> list[ServiceStatus]:
    """Ask each named service a real question."""
    return [svc.status(settings) for svc in services(names)]
