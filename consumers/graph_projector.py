"""The graph projector: lifecycle events on ``hartonomous.enriched`` into the provenance graph.

One batch (one topic-partition) is one Neo4j transaction that also advances the partition's
``(:Offset)`` node, so the effect is exactly-once: a replayed event at or below the stored offset
is skipped, and the runtime commits the Kafka offset only after ``handle`` returned.

- A transient Neo4j failure (unavailable, deadlock) raises the bus's TransientError: the runtime
  retries the batch with backoff and commits nothing.
- A payload that cannot be projected is refused alone (DLQ). If Neo4j refuses the batch for a
  reason retrying cannot fix, the batch is re-run one event per transaction so only the event(s)
  at fault are refused; each of those transactions advances the offset node too.
- Writes are serialised per partition: one transaction at a time in this process, and the lock
  on the offset node serialises writers of one partition across processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import defaultdict
from collections.abc import Sequence

from hartonomous.bus import BatchHandler, ConsumerRuntime, Delivery, EventPublisher, Failure
from hartonomous.config import Settings
from hartonomous.graph.client import TRANSACTION_RETRY_S
from hartonomous.graph import (
    BatchItem,
    BatchPlan,
    GraphClient,
    GraphWriteError,
    Neo4jProjectionStore,
    Origin,
    PartitionKey,
    ProjectionError,
    ProjectionStore,
    is_transient,
    project,
    translate,
)
from hartonomous.logging import get_logger

DEFAULT_PROJECTOR = "graph"
DEFAULT_GROUP = "hartonomous.graph-projector"
_ERRORS: dict[str, type[Exception]] = {"ProjectionError": ProjectionError, "GraphWriteError": GraphWriteError}


class GraphProjector:
    """A :class:`~hartonomous.bus.BatchHandler` writing batches through a ProjectionStore.

    ``projector`` names the offset nodes (with topic and partition, not the consumer group).
    ``exit_after_commits`` is a test hook: SIGKILL this process right after that many Neo4j
    transactions committed, i.e. between the Neo4j commit and the Kafka commit.
    """

    name = "graph_projector"

    def __init__(
        self,
        store: ProjectionStore,
        *,
        client: GraphClient | None = None,
        projector: str = DEFAULT_PROJECTOR,
        exit_after_commits: int | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._projector = projector
        self._exit_after = exit_after_commits
        self._commits = 0
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._log = get_logger("consumer.graph_projector", projector=projector)

    async def setup(self) -> None:
        """Connect to Neo4j, wait for it, apply the constraints."""
        if self._client is not None:
            await self._client.setup()

    async def close(self) -> None:
        """Close the Neo4j driver."""
        if self._client is not None:
            await self._client.close()

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        """One batch of one partition in one transaction; refused events come back as failures."""
        if not batch:
            return []
        where = PartitionKey(self._projector, batch[0].topic, batch[0].partition)
        start = batch[0].offset
        errors: dict[int, BaseException] = {}
        items = [self._item(d, errors) for d in batch]
        async with self._locks[where.key]:
            try:
                plans = [await self._apply(where, start, items)]
            except Exception as exc:  # noqa: BLE001 - transient re-raised, the rest isolated
                if is_transient(exc):
                    raise translate(exc) from exc
                self._log.warning("batch_isolating", topic=where.topic, partition=where.partition,
                                  size=len(items), error=str(exc)[:300])
                plans = await self._one_by_one(where, start, items, errors)
        return self._failures(batch, plans, errors, where)

    async def _one_by_one(
        self, where: PartitionKey, start: int, items: list[BatchItem], errors: dict[int, BaseException]
    ) -> list[BatchPlan]:
        plans: list[BatchPlan] = []
        for item in items:
            try:
                plans.append(await self._apply(where, start, [item]))
            except Exception as exc:  # noqa: BLE001 - transient re-raised, the rest refused
                if is_transient(exc):
                    raise translate(exc) from exc
                error = translate(exc)
                errors[item.offset] = error
                plans.append(await self._apply(where, start, [BatchItem(item.offset, error=_describe(error))]))
        return plans

    async def _apply(self, where: PartitionKey, start: int, items: Sequence[BatchItem]) -> BatchPlan:
        plan = await self._store.apply(where, start, items)
        self._log.debug("batch_written", topic=where.topic, partition=where.partition,
                        first_offset=items[0].offset, last_offset=items[-1].offset,
                        applied=len(plan.applied), skipped=len(plan.skipped), refused=len(plan.refused))
        if plan.applied:
            self._commits += 1
            if self._exit_after is not None and self._commits >= self._exit_after:
                self._log.warning("test_hook_killing_after_graph_commit", commits=self._commits)
                os.kill(os.getpid(), signal.SIGKILL)
        return plan

    def _item(self, delivery: Delivery, errors: dict[int, BaseException]) -> BatchItem:
        origin = Origin(delivery.topic, delivery.partition, delivery.offset, delivery.timestamp_ms)
        try:
            return BatchItem(delivery.offset, projection=project(delivery.event, origin))
        except ProjectionError as exc:
            errors[delivery.offset] = exc
            return BatchItem(delivery.offset, error=_describe(exc))

    def _failures(
        self,
        batch: Sequence[Delivery],
        plans: list[BatchPlan],
        errors: dict[int, BaseException],
        where: PartitionKey,
    ) -> list[Failure]:
        refused: dict[int, str] = {}
        for plan in plans:
            refused.update(plan.refused)
        failures: list[Failure] = []
        for delivery in batch:
            reason = refused.get(delivery.offset)
            if reason is not None:
                failures.append(Failure(delivery, errors.get(delivery.offset) or _error_of(reason)))
        if failures:
            self._log.warning("events_refused", topic=where.topic, partition=where.partition,
                              offsets=[f.delivery.offset for f in failures])
        return failures


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _error_of(reason: str) -> Exception:
    """The error recorded for an offset refused earlier (re-reported after a crash)."""
    name, _, message = reason.partition(": ")
    return _ERRORS.get(name, ProjectionError)(message or reason)


def build(settings: Settings, *, projector: str = DEFAULT_PROJECTOR, exit_after_commits: int | None = None,
          transaction_retry_s: float = TRANSACTION_RETRY_S) -> GraphProjector:
    """The projector on the configured Neo4j (connected in ``setup``)."""
    client = GraphClient(settings, transaction_retry_s=transaction_retry_s)
    return GraphProjector(Neo4jProjectionStore(client), client=client, projector=projector,
                          exit_after_commits=exit_after_commits)


async def run(
    settings: Settings,
    stop: asyncio.Event,
    *,
    group_id: str = DEFAULT_GROUP,
    projector: str = DEFAULT_PROJECTOR,
    exit_after_commits: int | None = None,
    transaction_retry_s: float = TRANSACTION_RETRY_S,
) -> None:
    """Run the projector on ``settings.topics.enriched`` until ``stop`` is set. The driver
    retries a failing transaction for ``transaction_retry_s``; then the runtime's backoff takes
    over (raise it to ride out longer Neo4j outages without the service giving up)."""
    handler: BatchHandler = build(settings, projector=projector, exit_after_commits=exit_after_commits,
                                  transaction_retry_s=transaction_retry_s)
    publisher = EventPublisher(settings)
    runtime = ConsumerRuntime(settings, handler, topics=[settings.topics.enriched], group_id=group_id,
                              publisher=publisher)
    try:
        await runtime.run(stop)
    finally:
        await publisher.stop()
