"""The projection sink: one batch of one partition in one Neo4j transaction, with its offset.

:class:`ProjectionStore` is the port the consumer depends on; :class:`Neo4jProjectionStore` is
its Neo4j adapter (``hartonomous.graph.testing.FakeProjectionStore`` is the in-memory one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from neo4j import AsyncManagedTransaction

from hartonomous.graph.client import GraphClient
from hartonomous.graph.offsets import BatchItem, BatchPlan, OffsetState, offset_key, plan_batch


@dataclass(frozen=True)
class PartitionKey:
    """Which offset node a batch advances."""

    projector: str
    topic: str
    partition: int

    @property
    def key(self) -> str:
        """The offset node's key."""
        return offset_key(self.projector, self.topic, self.partition)


class ProjectionStore(Protocol):
    """Writes a batch and its offset atomically; returns what was applied, skipped, refused."""

    async def apply(self, where: PartitionKey, batch_start: int, items: Sequence[BatchItem]) -> BatchPlan:
        """One transaction: lock and read the offset, write the new items, advance the offset."""
        ...


class Neo4jProjectionStore:
    """:class:`ProjectionStore` on Neo4j: MERGE statements of ``neo4j/projection`` + ``(:Offset)``."""

    def __init__(self, client: GraphClient) -> None:
        self._client = client
        self._library = client.library

    async def apply(self, where: PartitionKey, batch_start: int, items: Sequence[BatchItem]) -> BatchPlan:
        """One managed write transaction: lock the offset, plan, run the statements, save."""

        async def work(tx: AsyncManagedTransaction) -> BatchPlan:
            result = await tx.run(self._library["offsets/lock"], key=where.key)
            record = await result.single(strict=True)
            state = OffsetState(
                offset=int(record["offset"]),
                failed=tuple(int(o) for o in record["failed"]),
                failed_errors=tuple(str(e) for e in record["failed_errors"]),
            )
            plan = plan_batch(state, batch_start, items)
            for name, rows in plan.projection.statements():
                await (await tx.run(self._library[f"projection/{name}"], rows=rows)).consume()
            if plan.changes_state:
                saved = await tx.run(
                    self._library["offsets/save"],
                    key=where.key,
                    offset=plan.state.offset,
                    failed=list(plan.state.failed),
                    failed_errors=list(plan.state.failed_errors),
                    projector=where.projector,
                    topic=where.topic,
                    partition=where.partition,
                )
                await saved.consume()
            return plan

        return await self._client.write(work)
