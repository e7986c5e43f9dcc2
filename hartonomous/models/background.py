"""Write jobs run in order on one background thread, so that the next tensor is hashed, chunked
and scanned while the database writes the previous ones (the server is the slower side).

At most ``depth`` jobs wait (backpressure bounds the memory held by queued chunks and rows). The
first job that fails stops the rest; its exception is raised by the next :meth:`submit` or by
:meth:`drain`. :meth:`close` stops the thread (after the running job, skipping queued ones), and
must run before the connection's transaction is committed or rolled back. The connection is used
by this thread only between the first submit and :meth:`drain`/:meth:`close`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]


class BackgroundWriter:
    """One writer thread running submitted jobs in submission order."""

    def __init__(self, depth: int = 2, name: str = "model-writer") -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._abort = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None and not self._abort:
                    job()
            except BaseException as exc:  # noqa: BLE001 - handed to the submitting thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, job: Job) -> None:
        """Queue ``job`` (blocks while ``depth`` jobs wait); raise a failed job's error first."""
        self._raise()
        self._queue.put(job)

    def drain(self) -> None:
        """Wait until every queued job ran; raise the first failure."""
        self._queue.join()
        self._raise()

    def abort(self) -> None:
        """Skip every job not started yet (returns at once)."""
        self._abort = True

    def close(self) -> None:
        """Stop the thread: the running job finishes, queued ones are skipped."""
        if not self._thread.is_alive():
            return
        self.abort()
        self._queue.put(None)
        self._thread.join()


class InlineWriter:
    """The same interface, running each job at once on the calling thread (no overlap)."""

    def submit(self, job: Job) -> None:
        """Run ``job`` now."""
        job()

    def drain(self) -> None:
        """Nothing is ever pending."""

    def abort(self) -> None:
        """Nothing is ever pending."""

    def close(self) -> None:
        """Nothing to stop."""
