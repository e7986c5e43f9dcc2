"""The start/stop/status algorithm every local server shares.

``up``: if our process (PID file) is alive, wait for it; else if a server already answers at the
address, leave it alone (``external``); else prepare, launch and wait for readiness.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from structlog.typing import FilteringBoundLogger

from hartonomous.logging import get_logger
from hartonomous.stack import process
from hartonomous.stack.exceptions import StackError
from hartonomous.stack.readiness import Probe, port_in_use, wait_ready
from hartonomous.stack.service import ServiceDirs, ServiceStatus, StartResult


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.lifecycle")


STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Managed:
    """How to run one local server."""

    name: str
    dirs: ServiceDirs
    address: str
    host: str
    port: int
    probe: Probe
    launch: Callable[[], int]
    """Prepare (resolve, format, configure) and start the process; return its pid."""
    stop_signal: int = signal.SIGTERM
    after_ready: Callable[[], None] | None = None
    """Run once the server answers (both when we started it and when it was running)."""
    health: Probe | None = None
    """What ``status`` asks, when it differs from the readiness ``probe``."""


def up(svc: Managed, timeout_s: float) -> StartResult:
    """Bring ``svc`` up, idempotently; see the module docstring."""
    log = _log().bind(service=svc.name, address=svc.address)
    start = time.monotonic()
    pid = process.running_pid(svc.dirs.pid)
    if pid is not None:
        state = "running"
    elif _answers(svc.probe):
        log.info("service_external")
        return StartResult(svc.name, "external", time.monotonic() - start, svc.address, None)
    else:
        if port_in_use(svc.host, svc.port):
            raise StackError(
                f"{svc.name}: port {svc.port} is taken by a process that is not a healthy "
                f"{svc.name} server; free it or configure another port"
            )
        log.info("service_starting")
        pid = svc.launch()
        state = "started"
    wait_ready(
        svc.name,
        svc.probe,
        timeout_s=timeout_s,
        log_path=svc.dirs.log,
        alive=lambda: process.is_running(svc.dirs.pid),
    )
    if svc.after_ready is not None:
        svc.after_ready()
        pid = process.running_pid(svc.dirs.pid) or pid  # after_ready may have restarted it
    seconds = time.monotonic() - start
    log.info("service_up", state=state, pid=pid, seconds=round(seconds, 2))
    return StartResult(svc.name, state, seconds, svc.address, pid)


def external(name: str, address: str, probe: Probe) -> StartResult:
    """A server configured by URL (not ours): asked once, never started."""
    start = time.monotonic()
    try:
        probe()
    except Exception as exc:
        raise StackError(f"{name} at {address} does not answer: {_short(exc)}") from exc
    return StartResult(name, "external", time.monotonic() - start, address, None)


def down(svc: Managed) -> bool:
    """Stop ``svc`` if our PID file names a live process; never touch anything else."""
    stopped = process.stop(svc.dirs.pid, sig=svc.stop_signal, timeout_s=STOP_TIMEOUT_S)
    _log().info("service_down", service=svc.name, stopped=stopped)
    return stopped


def status(svc: Managed) -> ServiceStatus:
    """Probe ``svc`` once."""
    pid = process.running_pid(svc.dirs.pid)
    try:
        (svc.health or svc.probe)()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return ServiceStatus(svc.name, False, svc.address, pid, detail=_short(exc))
    return ServiceStatus(svc.name, True, svc.address, pid, detail="" if pid else "external")


def _answers(probe: Probe) -> bool:
    try:
        probe()
    except Exception:  # noqa: BLE001 - not answering is the expected case here
        return False
    return True


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
