"""Readiness polling: succeeds on the first good answer, fails with the log file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from hartonomous.stack.exceptions import ServiceExited, StartupTimeout
from hartonomous.stack.readiness import port_in_use, wait_ready


class _FlakyProbe:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError("not yet")


class TestWaitReady:
    """wait_ready polls until the probe answers, the process dies, or time runs out."""

    def test_ready_after_failures(self, tmp_path: Path) -> None:
        """Three refusals, then an answer: ready after four calls."""
        probe = _FlakyProbe(failures=3)
        wait_ready("svc", probe, timeout_s=10, log_path=tmp_path / "svc.log")
        assert 4 == probe.calls

    def test_timeout_names_the_log(self, tmp_path: Path) -> None:
        """A probe that never answers raises StartupTimeout naming the log file."""
        log = tmp_path / "svc.log"
        with pytest.raises(StartupTimeout) as info:
            wait_ready("svc", _FlakyProbe(10**6), timeout_s=0.3, log_path=log)
        assert str(log) in str(info.value)
        assert log == info.value.log_path

    def test_dead_process_fails_fast_with_log_tail(self, tmp_path: Path) -> None:
        """If the process died, ServiceExited carries the log's last lines."""
        log = tmp_path / "svc.log"
        log.write_text("starting\nFATAL: port taken\n")
        with pytest.raises(ServiceExited) as info:
            wait_ready("svc", _FlakyProbe(10**6), timeout_s=60, log_path=log, alive=lambda: False)
        assert "FATAL: port taken" in str(info.value)


class TestPortInUse:
    """port_in_use tells a listening port from a free one."""

    def test_listening_and_free(self) -> None:
        """A bound, listening socket is in use; after closing it is free."""
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            port = sock.getsockname()[1]
            assert port_in_use("127.0.0.1", port)
        assert not port_in_use("127.0.0.1", port)
