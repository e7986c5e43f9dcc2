"""A consumer process for the crash test: records what it received, then hangs before the commit.

Usage: python -m tests.integration.crashing_consumer TOPIC GROUP OUTFILE
The test SIGKILLs it while it hangs inside ``handle``, so the batch is never committed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from hartonomous.bus import ConsumerRuntime, Delivery, EventPublisher, Failure
from hartonomous.config import Settings


class HangAfterRecording:
    name = "crash-test"

    def __init__(self, outfile: Path) -> None:
        self._outfile = outfile

    async def setup(self) -> None:
        return None

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        with self._outfile.open("a", encoding="utf-8") as out:
            for delivery in batch:
                out.write(delivery.event.get_id() + "\n")
        await asyncio.sleep(3600)  # killed here: handled, never committed
        return []

    async def close(self) -> None:
        return None


async def main(topic: str, group: str, outfile: Path) -> None:
    settings = Settings.from_env()
    runtime = ConsumerRuntime(
        settings, HangAfterRecording(outfile), topics=[topic], group_id=group, publisher=EventPublisher(settings)
    )
    await runtime.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
