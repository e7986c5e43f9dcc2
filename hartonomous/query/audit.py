"""The audit trail of the query side: an ``inference_requests`` row per call, and its event.

Every search, embed, generate and extract writes one row (``log_inference`` in
``030_search.sql``); CDC carries that row into the graph. The call is also announced directly as
``com.hartonomous.inference.logged.v1`` on the enriched topic when Kafka answers (skipped, with a
log line, when it does not: the row is the record, the event only makes the graph faster).
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from hartonomous.config import Settings
from hartonomous.logging import get_logger
from hartonomous.store import queries

SOURCE = "hartonomous/query"


@dataclass
class Stopwatch:
    """Milliseconds since creation, and named laps."""

    start: float = field(default_factory=time.perf_counter)
    laps: dict[str, float] = field(default_factory=dict)

    def elapsed_ms(self) -> float:
        """Milliseconds since the start."""
        return (time.perf_counter() - self.start) * 1000.0

    def lap(self, name: str, since: float) -> float:
        """Record ``name`` as the milliseconds since ``since`` (a ``perf_counter`` value)."""
        self.laps[name] = round((time.perf_counter() - since) * 1000.0, 3)
        return self.laps[name]


def requested_by(settings: Settings) -> str:
    """Who the audit log names: ``settings.query_user`` or the OS user."""
    if settings.query_user:
        return settings.query_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def log_inference(
    settings: Settings,
    conn: psycopg.Connection,
    *,
    kind: str,
    inputs: Mapping[str, Any],
    models: Sequence[str],
    result_ids: Sequence[str | int] = (),
    results: Mapping[str, Any] | None = None,
    duration_ms: float,
) -> int:
    """Write the ``inference_requests`` row and announce it; returns the row id."""
    user = requested_by(settings)
    row = conn.execute(
        queries(settings)["query_log_inference"],
        {
            "kind": kind,
            "inputs": Jsonb(dict(inputs)),
            "models": list(models),
            "result_ids": [str(r) for r in result_ids],
            "results": Jsonb(dict(results or {})),
            "duration_ms": round(duration_ms, 3),
            "requested_by": user,
        },
    ).fetchone()
    assert row is not None
    request_id = int(row[0])
    data = {
        "request_id": request_id,
        "kind": kind,
        "models": list(models),
        "documents": [str(r) for r in result_ids] if kind == "search" else [],
        "duration_ms": round(duration_ms, 3),
        "requested_by": user,
    }
    publish_lifecycle(settings, "com.hartonomous.inference.logged.v1", data, key=f"inference_requests:{request_id}")
    return request_id


def kafka_reachable(settings: Settings, timeout_s: float = 0.5) -> bool:
    """Whether the first bootstrap server accepts a TCP connection (a quick check, no client)."""
    host, _, port = settings.kafka_bootstrap.split(",")[0].strip().rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def publish_lifecycle(settings: Settings, event_type: str, data: Mapping[str, Any], *, key: str) -> bool:
    """Publish one event on the enriched topic if enabled and Kafka answers; True if acked."""
    log = get_logger("query.audit", event_type=event_type, key=key)
    if not settings.query_publish_events:
        return False
    if not kafka_reachable(settings):
        log.info("event_not_published", reason="kafka unreachable; CDC carries the row")
        return False
    from hartonomous.bus import EventPublisher
    from hartonomous.events import new_event

    async def _send() -> None:
        event = new_event(event_type, dict(data), source=SOURCE, subject=key)
        async with EventPublisher(settings) as publisher:
            await publisher.publish(settings.topics.enriched, event, key=key)

    try:
        asyncio.run(asyncio.wait_for(_send(), timeout=settings.query_publish_timeout_s))
    except Exception as exc:  # noqa: BLE001 - the row is already written; the event is a bonus
        log.warning("event_not_published", error=f"{type(exc).__name__}: {exc}")
        return False
    return True
