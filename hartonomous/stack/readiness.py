"""Readiness polling: ask a server a real question until it answers, or give up in time."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

from structlog.typing import FilteringBoundLogger

from hartonomous.logging import get_logger
from hartonomous.stack.exceptions import ServiceExited, StartupTimeout

Probe = Callable[[], None]
"""Returns when the server answered; raises any exception while it is not ready."""


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.readiness")


_FIRST_INTERVAL_S = 0.1
_MAX_INTERVAL_S = 1.0
_TAIL_LINES = 15


def wait_ready(
    name: str,
    probe: Probe,
    *,
    timeout_s: float,
    log_path: Path,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Poll ``probe`` until it succeeds; return the seconds waited.

    Fails fast with :class:`ServiceExited` when ``alive`` says the process died, and with
    :class:`StartupTimeout` after ``timeout_s``. Both name ``log_path``.
    """
    start = time.monotonic()
    deadline = start + timeout_s
    interval = _FIRST_INTERVAL_S
    attempts = 0
    last_error: BaseException | None = None
    while True:
        attempts += 1
        try:
            probe()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = exc
        else:
            elapsed = time.monotonic() - start
            _log().info("service_ready", service=name, seconds=round(elapsed, 2), attempts=attempts)
            return elapsed
        if alive is not None and not alive():
            raise ServiceExited(
                f"{name} exited during startup; last probe error: {last_error!r}{_tail(log_path)}",
                log_path=log_path,
            )
        now = time.monotonic()
        if now >= deadline:
            raise StartupTimeout(
                f"{name} not ready after {timeout_s:.0f}s; last probe error: {last_error!r}",
                log_path=log_path,
            )
        time.sleep(min(interval, deadline - now))
        interval = min(interval * 2, _MAX_INTERVAL_S)


def tcp_open(host: str, port: int, timeout_s: float = 1.0) -> None:
    """Raise OSError unless something accepts TCP connections on ``host:port``."""
    with socket.create_connection((host, port), timeout=timeout_s):
        pass


def port_in_use(host: str, port: int) -> bool:
    """True if something listens on ``host:port``."""
    try:
        tcp_open(host, port, timeout_s=0.5)
    except OSError:
        return False
    return True


def _tail(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()[-_TAIL_LINES:]
    except OSError:
        return ""
    return "\n--- last lines of the log ---\n" + "\n".join(lines) if lines else ""
