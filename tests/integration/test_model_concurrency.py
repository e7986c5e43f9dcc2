"""Two ingests of the same content at once: the second waits, then merges; no error, no duplicate."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hartonomous.config import Settings
from hartonomous.models import IngestOptions, IngestResult, StoredModel, ingest_model, resolve_source
from hartonomous.models.testing import write_tiny_bert
from hartonomous.store import connect, queries
from tests.integration.model_support import cleanup, model_settings, unique_name  # noqa: F401

pytestmark = pytest.mark.integration


class TestConcurrentIngests:
    """Chunks and weight rows written by a transaction still open are merged, not duplicated."""

    def test_second_ingest_merges_after_the_first_commits(self, model_settings: Settings, tmp_path: Path,
                                                           cleanup: list[str]) -> None:
        """B finds nothing stored, blocks on A's uncommitted rows, then stores none of them again."""
        import random

        folder = write_tiny_bert(tmp_path / "bert", seed=random.randrange(1 << 30))
        first, second = unique_name("conc-a"), unique_name("conc-b")
        cleanup.extend([first, second])
        sql = queries(model_settings)
        options = IngestOptions.from_settings(model_settings)
        results: dict[str, IngestResult | BaseException] = {}

        def other() -> None:
            try:
                with connect(model_settings) as conn:
                    results["b"] = ingest_model(conn, sql, resolve_source(folder, (tmp_path,)), name=second,
                                                options=options)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                results["b"] = exc

        with connect(model_settings) as conn_a:
            with conn_a.transaction():  # A's ingest becomes a savepoint: its rows stay uncommitted
                results["a"] = ingest_model(conn_a, sql, resolve_source(folder, (tmp_path,)), name=first,
                                            options=options)
                worker = threading.Thread(target=other)
                worker.start()
                deadline, blocked = time.monotonic() + 30, False
                with connect(model_settings) as watcher:
                    while time.monotonic() < deadline and not blocked:
                        blocked = bool(watcher.execute(
                            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                            "WHERE NOT l.granted AND a.query LIKE 'COPY chunks%%'").fetchone()[0])  # type: ignore[index]
                        time.sleep(0.05)
            worker.join(60)
        assert blocked, "the second ingest never waited on the first one's chunks"
        a, b = results["a"], results["b"]
        assert isinstance(a, IngestResult) and isinstance(b, IngestResult), b
        assert (a.tensor_bytes, 0, 0) == (a.new_chunk_bytes, b.new_chunk_bytes, b.weight_rows)
        with connect(model_settings) as conn:
            stored = StoredModel(conn, sql, second)
            for info in stored.tensors():
                stored.read_raw(info.name)  # checked against the content hash
            rows = conn.execute("SELECT count(*) FROM neurons WHERE model_id = %s", (b.model_id,)).fetchone()
        assert a.weight_rows == rows[0]  # type: ignore[index]
