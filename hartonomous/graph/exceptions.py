"""Errors of the provenance graph, and the translation of Neo4j driver errors into them.

Transient failures (the server unavailable or restarting, a session expired, a deadlock or any
error Neo4j marks retryable, a commit whose outcome was lost) become
:class:`GraphTransientError`, which is also the bus's :class:`~hartonomous.bus.TransientError`:
the consumer runtime retries the batch with backoff and commits nothing. Everything else is a
:class:`GraphWriteError`: retrying cannot help, so the event goes to the DLQ.
"""

from __future__ import annotations

from neo4j import exceptions as neo4j_errors

from hartonomous.bus.exceptions import TransientError
from hartonomous.exceptions import HartonomousError

# How long the runtime waits before retrying after the server was unreachable; a deadlock or
# another retryable conflict is retried after the runtime's own (shorter) backoff.
UNAVAILABLE_RETRY_AFTER_S = 1.0

_UNAVAILABLE = (
    neo4j_errors.ServiceUnavailable,  # includes IncompleteCommit: the offset node makes it safe
    neo4j_errors.SessionExpired,
    neo4j_errors.ConnectionAcquisitionTimeoutError,
    neo4j_errors.DatabaseUnavailable,
    ConnectionError,
    TimeoutError,
)


class GraphError(HartonomousError):
    """Base of the graph's errors."""


class ProjectionError(GraphError):
    """An event's payload cannot be projected (a required field missing or malformed)."""


class GraphWriteError(GraphError):
    """Neo4j refused a write for a reason retrying cannot fix."""


class CypherNotFoundError(GraphError):
    """No Cypher file of that name under ``neo4j/``."""


class GraphTransientError(GraphError, TransientError):
    """Neo4j is unavailable or a transaction hit a retryable conflict; retry the same batch."""


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same transaction later may succeed."""
    if isinstance(exc, (GraphTransientError, *_UNAVAILABLE, neo4j_errors.TransientError)):
        return True
    if isinstance(exc, (neo4j_errors.Neo4jError, neo4j_errors.DriverError)):
        return bool(exc.is_retryable())
    return False


def translate(exc: BaseException) -> GraphError:
    """The graph error for a failure of a Neo4j call (transient or not, see the module doc)."""
    if isinstance(exc, GraphError):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    if is_transient(exc):
        unavailable = isinstance(exc, _UNAVAILABLE)
        return GraphTransientError(
            f"neo4j transient failure: {text}",
            retry_after_s=UNAVAILABLE_RETRY_AFTER_S if unavailable else None,
        )
    return GraphWriteError(f"neo4j refused the write: {text}")
