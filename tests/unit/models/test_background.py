"""The writer thread: jobs in order, the first failure stops the rest and reaches the caller."""

from __future__ import annotations

import threading

import pytest

from hartonomous.models.background import BackgroundWriter


class TestBackgroundWriter:
    """Order, errors, and stopping."""

    def test_jobs_run_in_order_on_another_thread(self) -> None:
        """Every job runs, in submission order, off the submitting thread."""
        seen: list[tuple[int, bool]] = []
        writer = BackgroundWriter(depth=1)
        for i in range(20):
            writer.submit(lambda i=i: seen.append((i, threading.current_thread() is threading.main_thread())))
        writer.drain()
        writer.close()
        assert [(i, False) for i in range(20)] == seen

    def test_first_failure_stops_the_rest_and_is_raised(self) -> None:
        """After a failing job, later jobs are skipped; drain raises the failure."""
        seen: list[int] = []
        writer = BackgroundWriter(depth=10)

        def boom() -> None:
            raise ValueError("disk full")

        writer.submit(lambda: seen.append(1))
        writer.submit(boom)
        writer.submit(lambda: seen.append(3))
        with pytest.raises(ValueError, match="disk full"):
            writer.drain()
        writer.close()
        assert [1] == seen
        with pytest.raises(ValueError, match="disk full"):
            writer.submit(lambda: seen.append(4))

    def test_close_skips_queued_jobs(self) -> None:
        """Closing while jobs wait (the caller failed): the running job ends, the queued ones never run."""
        gate, started, seen = threading.Event(), threading.Event(), []
        writer = BackgroundWriter(depth=5)

        def first() -> None:
            started.set()
            gate.wait(5)
            seen.append("first")

        writer.submit(first)
        started.wait(5)
        writer.submit(lambda: seen.append("second"))
        writer.abort()
        gate.set()
        writer.close()
        assert ["first"] == seen
