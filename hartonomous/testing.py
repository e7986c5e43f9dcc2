"""Test helpers that ship with the library (pure logic; no stand-ins for Kafka, PostgreSQL or Neo4j)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from hartonomous.bus.delivery import Delivery, Failure


class RecordingHandler:
    """A :class:`~hartonomous.bus.BatchHandler` that records what it receives.

    ``refuse`` decides per delivery whether to return it as a failure (to exercise the DLQ).
    ``expected`` lets a test await until that many deliveries arrived.
    """

    def __init__(
        self,
        name: str = "recorder",
        *,
        refuse: Callable[[Delivery], BaseException | None] | None = None,
    ) -> None:
        self.name = name
        self.deliveries: list[Delivery] = []
        self.batches: list[int] = []
        self._refuse = refuse
        self._changed = asyncio.Event()

    async def setup(self) -> None:
        return None

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        failures: list[Failure] = []
        for delivery in batch:
            error = self._refuse(delivery) if self._refuse else None
            if error is not None:
                failures.append(Failure(delivery, error))
            else:
                self.deliveries.append(delivery)
        self.batches.append(len(batch))
        self._changed.set()
        return failures

    async def close(self) -> None:
        return None

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Delivery]:
        """Wait until at least ``count`` deliveries were handled (or raise TimeoutError)."""
        async def _wait() -> None:
            while len(self.deliveries) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(_wait(), timeout_s)
        return list(self.deliveries)


class FakeEncoder:
    """A deterministic :class:`~hartonomous.embedding.Encoder` for unit tests: each word adds a
    fixed pseudo-random direction (feature hashing), so texts sharing words are close."""

    def __init__(self, dimension: int = 64, name: str = "fake-encoder") -> None:
        self.name = name
        self.dimension = dimension
        self.source = "test:fake"
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> Any:
        import hashlib
        import re

        import numpy as np

        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()) or [""]:
                seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row] += np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            out[row] /= np.linalg.norm(out[row]) or 1.0
        return out
