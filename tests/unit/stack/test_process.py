"""PID-file process handling, with real short-lived processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from hartonomous.stack import process


def _wait_for(path: Path, text: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


class TestStartAndStop:
    """start_detached writes a PID file; stop ends exactly that process."""

    def test_sleep_lifecycle(self, tmp_path: Path) -> None:
        """A started `sleep` is running, in its own session, and stop() ends it."""
        pid_file, log = tmp_path / "s.pid", tmp_path / "s.log"
        pid = process.start_detached(["sleep", "30"], log_path=log, pid_path=pid_file)
        assert pid == process.running_pid(pid_file)
        assert os.getsid(pid) == pid
        assert process.stop(pid_file, timeout_s=5)
        assert not process.is_running(pid_file)
        assert not pid_file.exists()
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE

    def test_output_goes_to_log(self, tmp_path: Path) -> None:
        """stdout and stderr are appended to the log file; extra_env reaches the child."""
        log = tmp_path / "echo.log"
        script = "import os,sys; print(os.environ['PROBE']); print('err', file=sys.stderr)"
        process.start_detached(
            [sys.executable, "-c", script],
            log_path=log,
            pid_path=tmp_path / "echo.pid",
            extra_env={"PROBE": "hello"},
        )
        _wait_for(log, "err")
        assert {"hello", "err"} <= set(log.read_text().split())

    def test_exited_process_is_not_running(self, tmp_path: Path) -> None:
        """A process that exited on its own reads as not running (zombies included)."""
        pid_file = tmp_path / "t.pid"
        process.start_detached(["true"], log_path=tmp_path / "t.log", pid_path=pid_file)
        deadline = time.monotonic() + 5
        while process.is_running(pid_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process.is_running(pid_file)

    def test_sigterm_ignored_means_sigkill(self, tmp_path: Path) -> None:
        """A process ignoring SIGTERM is killed after the timeout."""
        pid_file, log = tmp_path / "stubborn.pid", tmp_path / "stubborn.log"
        script = "trap '' TERM; echo ready; while :; do sleep 0.1; done"
        pid = process.start_detached(["sh", "-c", script], log_path=log, pid_path=pid_file)
        _wait_for(log, "ready")
        started = time.monotonic()
        assert process.stop(pid_file, timeout_s=0.5)
        assert time.monotonic() - started < 10
        assert not process.is_running(pid_file)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


class TestForeignProcesses:
    """A PID file never lets stop() signal a process we did not start."""

    def test_recycled_pid_is_left_alone(self, tmp_path: Path) -> None:
        """Our own pid with another start time reads as not running; stop() sends nothing."""
        pid_file = tmp_path / "foreign.pid"
        record = process.PidRecord(os.getpid(), create_time=1.0, argv=("someone-else",))
        pid_file.write_text(record.to_json())
        assert not process.is_running(pid_file)
        assert not process.stop(pid_file)  # we are still here to assert it
        assert not pid_file.exists()

    @pytest.mark.parametrize("content", ["", "not json", '{"pid": "x"}'])
    def test_unreadable_pid_file(self, tmp_path: Path, content: str) -> None:
        """A damaged PID file means "nothing of ours is running"."""
        pid_file = tmp_path / "bad.pid"
        pid_file.write_text(content)
        assert process.running_pid(pid_file) is None

    def test_missing_pid_file(self, tmp_path: Path) -> None:
        """No PID file: not running, and stop() is a no-op."""
        assert not process.stop(tmp_path / "none.pid")
