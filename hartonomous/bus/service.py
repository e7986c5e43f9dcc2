"""Running a runtime as a long-lived service with clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

from hartonomous.logging import get_logger


async def run_until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Call ``run(stop)``; SIGTERM or SIGINT sets ``stop`` so the runtime finishes its batch,
    commits and closes instead of dying mid-write."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    log = get_logger("bus.service")

    def _request_stop(signum: int) -> None:
        log.info("shutdown_requested", signal=signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, signum)
    try:
        await run(stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
