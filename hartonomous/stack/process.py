"""Detached server processes tracked by PID files.

A PID file records the pid *and* the process start time, so a recycled pid is never mistaken for
the server we started, and ``stop`` never signals a process it did not start.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from structlog.typing import FilteringBoundLogger

from hartonomous.logging import get_logger


def _log() -> FilteringBoundLogger:
    # created per call: a logger bound at import time would miss configure_logging()
    return get_logger("stack.process")


# psutil's create_time is a float computed from /proc; allow for rounding
_CREATE_TIME_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class PidRecord:
    """What a PID file holds."""

    pid: int
    create_time: float
    argv: tuple[str, ...]

    def to_json(self) -> str:
        data = {"pid": self.pid, "create_time": self.create_time, "argv": list(self.argv)}
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> PidRecord:
        data = json.loads(text)
        return cls(int(data["pid"]), float(data["create_time"]), tuple(data.get("argv", ())))


def read_pid_file(pid_path: Path) -> PidRecord | None:
    """The record in ``pid_path``, or None if it is missing or unreadable."""
    try:
        return PidRecord.from_json(pid_path.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _process(record: PidRecord) -> psutil.Process | None:
    """The live process behind ``record``, or None if it is gone, a zombie, or a recycled pid."""
    try:
        proc = psutil.Process(record.pid)
        if abs(proc.create_time() - record.create_time) > _CREATE_TIME_TOLERANCE_S:
            return None
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
        return proc
    except psutil.Error:
        return None


def _reap(pid: int) -> None:
    """Collect the exit status of a child of ours, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def running_pid(pid_path: Path) -> int | None:
    """The pid recorded in ``pid_path`` if that very process is still running."""
    record = read_pid_file(pid_path)
    if record is None:
        return None
    return record.pid if _process(record) is not None else None


def is_running(pid_path: Path) -> bool:
    """True if the process recorded in ``pid_path`` is alive."""
    return running_pid(pid_path) is not None


def start_detached(
    argv: Sequence[str],
    *,
    log_path: Path,
    pid_path: Path,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    user: str | None = None,
) -> int:
    """Start ``argv`` in its own session, output appended to ``log_path``; write ``pid_path``.

    The child inherits our environment plus ``extra_env``, runs as ``user`` if given (needs
    root), and outlives the caller: it has its own session and no pipe back to us.
    """
    env = {**os.environ, **extra_env} if extra_env else None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(  # noqa: S603 - argv is built by the stack modules
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            user=user,
        )
    pid = proc.pid
    try:
        create_time = psutil.Process(pid).create_time()
    except psutil.Error:
        create_time = 0.0
    # drop the Popen handle: the server is not ours to wait on (the PID file tracks it)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        del proc
    record = PidRecord(pid, create_time, tuple(argv))
    tmp = pid_path.with_suffix(".tmp")
    tmp.write_text(record.to_json())
    tmp.replace(pid_path)
    _log().info("process_started", pid=pid, log=str(log_path), pid_file=str(pid_path))
    return pid


def stop(pid_path: Path, *, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> bool:
    """Stop the process recorded in ``pid_path``: ``sig``, then SIGKILL after ``timeout_s``.

    Returns True if a process of ours was running. The PID file is removed either way.
    """
    record = read_pid_file(pid_path)
    proc = _process(record) if record is not None else None
    log = _log().bind(pid_file=str(pid_path), pid=record.pid if record else None)
    if proc is None:
        pid_path.unlink(missing_ok=True)
        log.info("process_not_running")
        return False
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout_s)
        log.info("process_stopped", signal=signal.Signals(sig).name)
    except psutil.TimeoutExpired:
        log.warning("process_kill", timeout_s=timeout_s)
        _kill_session(proc)
    except psutil.NoSuchProcess:
        pass
    pid_path.unlink(missing_ok=True)
    return True


def _kill_session(proc: psutil.Process) -> None:
    """SIGKILL the process and the session it leads (its worker children go with it)."""
    try:
        if os.getsid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(timeout=10)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass
