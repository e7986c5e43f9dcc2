"""The Neo4j adapter: the official driver's async API behind a narrow port.

Connect in :meth:`GraphClient.setup` (waits for the server, verifies connectivity, applies
``neo4j/constraints.cypher``); run Cypher by name; translate every driver error into a
:class:`~hartonomous.graph.exceptions.GraphError` (transient ones are the bus's TransientError).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, RoutingControl
from neo4j import exceptions as neo4j_errors

from hartonomous.config import Settings
from hartonomous.graph.cypher import CypherLibrary
from hartonomous.graph.exceptions import GraphError, GraphTransientError, translate
from hartonomous.logging import get_logger

T = TypeVar("T")

# The driver retries a retryable transaction for this long before giving up and letting the
# consumer runtime take over with its own backoff.
TRANSACTION_RETRY_S = 30.0
CONNECT_TIMEOUT_S = 5.0
# Codes Neo4j answers when a concurrent starter created the same schema rule first.
_SCHEMA_RACE = ("EquivalentSchemaRuleAlreadyExists", "ConstraintAlreadyExists", "IndexAlreadyExists")


def driver_auth(settings: Settings) -> tuple[str, str] | None:
    """No authentication unless a password is configured."""
    return (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None


class GraphClient:
    """One driver per process; sessions per call. Not usable before :meth:`setup`."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: CypherLibrary | None = None,
        transaction_retry_s: float = TRANSACTION_RETRY_S,
    ) -> None:
        self._settings = settings
        self._library = library if library is not None else CypherLibrary.of(settings)
        self._retry_s = transaction_retry_s
        self._driver: AsyncDriver | None = None
        self._log = get_logger("graph.client", uri=settings.bolt_uri)

    @property
    def library(self) -> CypherLibrary:
        """The Cypher files this client runs by name."""
        return self._library

    async def setup(self, *, wait_s: float | None = None, apply_schema: bool = True) -> None:
        """Connect, wait up to ``wait_s`` (default: the startup timeout) for the server, and
        apply the constraints (unless ``apply_schema`` is false, for read-only tools). Raises
        GraphTransientError if the server never answered."""
        if self._driver is None:
            self._driver = AsyncGraphDatabase.driver(
                self._settings.bolt_uri,
                auth=driver_auth(self._settings),
                max_transaction_retry_time=self._retry_s,
                connection_timeout=CONNECT_TIMEOUT_S,
                notifications_min_severity="OFF",
            )
        await self._wait_connected(self._settings.startup_timeout_s if wait_s is None else wait_s)
        if apply_schema:
            await self.apply_schema()

    async def close(self) -> None:
        """Close the driver (idempotent)."""
        if self._driver is not None:
            driver, self._driver = self._driver, None
            await driver.close()

    async def __aenter__(self) -> GraphClient:
        await self.setup()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def apply_schema(self) -> int:
        """Create the constraints and indexes of ``neo4j/constraints.cypher`` (idempotent)."""
        statements = self._library.statements("constraints")
        for statement in statements:
            try:
                await self._require().execute_query(statement)
            except neo4j_errors.ClientError as exc:
                if not any(code in (exc.code or "") for code in _SCHEMA_RACE):
                    raise translate(exc) from exc
            except Exception as exc:
                raise translate(exc) from exc
        return len(statements)

    async def write(self, work: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        """Run ``work`` in one managed write transaction (retried by the driver while the error
        is retryable, for at most the retry budget); errors come out translated."""
        try:
            async with self._require().session() as session:
                return await session.execute_write(work)
        except GraphError:
            raise
        except Exception as exc:
            raise translate(exc) from exc

    async def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the named query (``queries/lineage``) with parameters; rows as dicts."""
        try:
            result = await self._require().execute_query(
                self._library[name], params, routing_=RoutingControl.READ
            )
        except GraphError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
        return [record.data() for record in result.records]

    async def run(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a named statement that writes, in its own auto-committed transaction."""
        try:
            result = await self._require().execute_query(self._library[name], params)
        except GraphError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
        return [record.data() for record in result.records]

    async def _wait_connected(self, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        delay = 0.2
        while True:
            try:
                await self._require().verify_connectivity()
                return
            except Exception as exc:  # noqa: BLE001 - retried until the deadline, then raised
                error = translate(exc)
                if not isinstance(error, GraphTransientError) or time.monotonic() + delay > deadline:
                    raise error from exc
                self._log.warning("graph_waiting_for_server", error=str(exc)[:200], retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _require(self) -> AsyncDriver:
        if self._driver is None:
            raise GraphError("graph client not set up: call setup() (or use 'async with')")
        return self._driver
