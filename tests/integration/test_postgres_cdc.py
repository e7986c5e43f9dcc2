"""PostgreSQL change capture on the real stack: PostgreSQL 18 (logical) and Kafka, no mocks."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from psycopg import sql

from hartonomous.config import PROJECT_ROOT, Settings, Topics
from producers.postgres_cdc import serve

pytestmark = pytest.mark.integration


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body with asyncio.run (the project uses no asyncio pytest plugin)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


@dataclass(frozen=True)
class CdcEnv:
    settings: Settings
    table: str

    @property
    def url(self) -> str:
        return self.settings.pg_url

    def execute(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql.SQL(statement).format(t=sql.Identifier(self.table)), params)
            return cur.fetchall() if cur.description else []

    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "HARTONOMOUS_PG_URL": s.pg_url,
            "HARTONOMOUS_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "HARTONOMOUS_CDC_PG_TABLES": f"public.{self.table}",
            "HARTONOMOUS_CDC_PG_SLOT": s.cdc_pg_slot,
            "HARTONOMOUS_CDC_PG_PUBLICATION": s.cdc_pg_publication,
            "HARTONOMOUS_CDC_HEARTBEAT_S": str(s.cdc_heartbeat_s),
            "HARTONOMOUS_TOPIC_CDC": s.topics.cdc,
        }


@pytest.fixture
def cdc_env(stack_settings: Settings) -> Iterator[CdcEnv]:
    """A fresh table, slot, publication and topic; all dropped afterwards."""
    name = f"cdc_it_{uuid.uuid4().hex[:10]}"
    settings = stack_settings.replace(
        cdc_pg_tables=f"public.{name}", cdc_pg_slot=name, cdc_pg_publication=name, cdc_heartbeat_s=1.0,
        topics=Topics(cdc=f"it.cdc.{name}"),
    )
    env = CdcEnv(settings, name)
    env.execute("CREATE TABLE {t} (id int PRIMARY KEY, body text, n numeric(12,2), at timestamptz NOT NULL DEFAULT now(), doc jsonb)")
    yield env
    with psycopg.connect(env.url, autocommit=True) as conn:
        for _ in range(60):
            row = conn.execute("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", (name,)).fetchone()
            if row is None or row[0] is None:
                break
            time.sleep(0.5)
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (name,))
        conn.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute("DELETE FROM hartonomous_cdc.snapshot_state WHERE slot_name = %s", (name,))


@asynccontextmanager
async def producer_in_process(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def start_producer_process(env: CdcEnv) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hartonomous.cli.main", "--log-level", "INFO", "run", "cdc-postgres"],
        env=env.env(), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


async def read_changes(settings: Settings, *, until: Any, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Read the CDC topic from the start until ``until(records)`` holds; records in partition order."""
    consumer = AIOKafkaConsumer(settings.topics.cdc, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            for tp, batch in (await consumer.getmany(timeout_ms=300)).items():
                for rec in batch:
                    event = json.loads(rec.value)
                    records.append({"partition": tp.partition, "offset": rec.offset, "kafka_key": rec.key.decode(),
                                    "id": event["id"], "timestamp": rec.timestamp, **event["data"]})
            if until(records):
                return records
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met after {len(records)} records")
    finally:
        await consumer.stop()


def by_key(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for rec in sorted(records, key=lambda r: (r["partition"], r["offset"])):
        grouped.setdefault(rec["kafka_key"], []).append(rec)
    return grouped


def final_state(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Replay the records per key, in partition order: what a sink would hold."""
    state: dict[int, dict[str, Any]] = {}
    for recs in by_key(records).values():
        last = recs[-1]
        if last["op"] == "delete":
            state.pop(last["before"]["id"], None)
        else:
            state[last["after"]["id"]] = last["after"]
    return state


def table_state(env: CdcEnv) -> dict[int, dict[str, Any]]:
    rows = env.execute("SELECT id, body, n::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), doc::text FROM {t}")
    return {r[0]: {"id": r[0], "body": r[1], "n": r[2], "at": r[3], "doc": r[4]} for r in rows}


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    at = row["at"].replace("+00:00", "")
    at = at if "." in at else at + ".000000"
    return {**row, "at": at.ljust(26, "0")}


BIG_TEXT_SQL = "(SELECT string_agg(md5(random()::text || g::text), '') FROM generate_series(1, 8000) g)"


class TestSnapshotAndStream:
    """Rows present before the first start arrive as snapshot; then changes stream in order."""

    @sync
    async def test_snapshot_then_changes(self, cdc_env: CdcEnv) -> None:
        """Snapshot rows, inserts, an update that leaves a large TOASTed text alone, and deletes."""
        cdc_env.execute("INSERT INTO {t} (id, body, n, doc) VALUES (1, 'one', 1.10, '{{\"a\": 1}}'), (3, 'three', 3, NULL)")
        cdc_env.execute(f"INSERT INTO {{t}} (id, body, n) VALUES (2, {BIG_TEXT_SQL}, 2)")
        big = cdc_env.execute("SELECT body FROM {t} WHERE id = 2")[0][0]
        external = cdc_env.execute("SELECT pg_column_size(body) < length(body) FROM {t} WHERE id = 2")[0][0]
        assert 256_000 == len(big) and external is not None
        async with producer_in_process(cdc_env.settings):
            await read_changes(cdc_env.settings, until=lambda r: len(r) >= 3)
            cdc_env.execute("INSERT INTO {t} (id, body, n) VALUES (4, 'four', 4.5)")
            cdc_env.execute("UPDATE {t} SET n = 22.25 WHERE id = 2")
            cdc_env.execute("UPDATE {t} SET body = 'uno', n = 1.2 WHERE id = 1")
            cdc_env.execute("DELETE FROM {t} WHERE id = 3")
            records = await read_changes(cdc_env.settings, until=lambda r: len(r) >= 7)
        keys = by_key(records)
        ops = {k: [r["op"] for r in v] for k, v in keys.items()}
        t = f"public.{cdc_env.table}"
        assert {f'{t}:{{"id":1}}': ["snapshot", "update"], f'{t}:{{"id":2}}': ["snapshot", "update"],
                f'{t}:{{"id":3}}': ["snapshot", "delete"], f'{t}:{{"id":4}}': ["insert"]} == ops
        update_2 = keys[f'{t}:{{"id":2}}'][1]
        assert (big, big) == (update_2["before"]["body"], update_2["after"]["body"])
        assert ("2.00", "22.25") == (update_2["before"]["n"], update_2["after"]["n"])
        update_1 = keys[f'{t}:{{"id":1}}'][1]
        assert ({"body": "one", "n": "1.10", "doc": '{"a": 1}'}, {"body": "uno", "n": "1.20", "doc": '{"a": 1}'}) == (
            {k: update_1["before"][k] for k in ("body", "n", "doc")}, {k: update_1["after"][k] for k in ("body", "n", "doc")})
        delete_3 = keys[f'{t}:{{"id":3}}'][1]
        assert ({"id": 3}, "three", None) == (delete_3["key"], delete_3["before"]["body"], delete_3["after"])
        snapshot = keys[f'{t}:{{"id":1}}'][0]
        assert ("postgres", None, 1) == (snapshot["source"]["system"], snapshot["before"], snapshot["after"]["id"])
        assert {i: comparable(r) for i, r in final_state(records).items()} == {i: comparable(r) for i, r in table_state(cdc_env).items()}

    @sync
    async def test_restart_resumes_without_snapshot(self, cdc_env: CdcEnv) -> None:
        """A clean restart reuses the slot: no second snapshot, changes made while down arrive."""
        cdc_env.execute("INSERT INTO {t} (id, body) VALUES (1, 'a')")
        async with producer_in_process(cdc_env.settings):
            await read_changes(cdc_env.settings, until=lambda r: len(r) >= 1)
        cdc_env.execute("INSERT INTO {t} (id, body) VALUES (2, 'b')")
        async with producer_in_process(cdc_env.settings):
            records = await read_changes(cdc_env.settings, until=lambda r: len(r) >= 2)
            await asyncio.sleep(1.0)
            records = await read_changes(cdc_env.settings, until=lambda r: len(r) >= 2)
        assert ["snapshot", "insert"] == [r["op"] for r in sorted(records, key=lambda r: r["after"]["id"])]


BURST = 3000  # operations in the crash test's burst


class TestCrashRecovery:
    """SIGKILL mid-burst, restart: no change lost, duplicates only of the at-least-once kind."""

    @sync
    async def test_sigkill_mid_burst(self, cdc_env: CdcEnv) -> None:
        """Every row's final state reconciles; every change arrives; repeats share commit LSN and sequence."""
        rng = random.Random(7)
        cdc_env.execute("INSERT INTO {t} (id, body, n) VALUES (0, 'seed', 0)")
        live: set[int] = {0}
        next_id = 1
        done_ops = 0

        def one_op(conn: psycopg.Connection[Any]) -> None:
            nonlocal next_id, done_ops
            table = sql.Identifier(cdc_env.table)
            choice = rng.random()
            if not live or choice < 0.5:
                conn.execute(sql.SQL("INSERT INTO {} (id, body, n, doc) VALUES (%s, %s, %s, %s)").format(table),
                             (next_id, f"row {next_id}", next_id / 100, json.dumps({"v": next_id})))
                live.add(next_id)
                next_id += 1
            elif choice < 0.85:
                key = rng.choice(sorted(live))
                conn.execute(sql.SQL("UPDATE {} SET n = n + 1, body = body || '.' WHERE id = %s").format(table), (key,))
            else:
                key = rng.choice(sorted(live))
                conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(table), (key,))
                live.discard(key)
            done_ops += 1

        def burst(count: int) -> None:
            with psycopg.connect(cdc_env.url, autocommit=True) as conn:
                for _ in range(count):
                    one_op(conn)

        proc = start_producer_process(cdc_env)
        try:
            await read_changes(cdc_env.settings, until=lambda r: len(r) >= 1, timeout_s=60)  # the seed's snapshot
            writer = asyncio.create_task(asyncio.to_thread(burst, BURST))
            while done_ops < BURST // 10 and not writer.done():  # kill once the burst is well under way
                await asyncio.sleep(0.005)
            proc.send_signal(signal.SIGKILL)  # mid-burst: the writer keeps going
            proc.wait(10)
            killed_after = done_ops
            proc = start_producer_process(cdc_env)
            await writer
            await asyncio.to_thread(burst, 300)
            expected = table_state(cdc_env)

            def caught_up(records: list[dict[str, Any]]) -> bool:
                streamed = {(r["source"]["commit_lsn"], r["source"]["sequence"]) for r in records if r["op"] != "snapshot"}
                return len(streamed) >= done_ops

            records = await read_changes(cdc_env.settings, until=caught_up, timeout_s=120)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        assert 0 < killed_after < BURST, "the kill did not land mid-burst"
        streamed = [r for r in records if r["op"] != "snapshot"]
        by_change: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for rec in streamed:
            by_change.setdefault((rec["source"]["commit_lsn"], rec["source"]["sequence"]), []).append(rec)
        repeats = {k: v for k, v in by_change.items() if len(v) > 1}
        print(f"cdc crash test: killed after {killed_after} of {done_ops} ops; {len(streamed)} records, {len(repeats)} replayed")
        assert all(len({json.dumps({**r, "partition": 0, "offset": 0, "timestamp": 0}, sort_keys=True) for r in v}) == 1
                   for v in repeats.values()), "a repeated change differs from its first delivery"
        assert (done_ops, [0]) == (len(by_change), [r["after"]["id"] for r in records if r["op"] == "snapshot"])
        assert 0 == proc.returncode
        assert {i: comparable(r) for i, r in expected.items()} == {i: comparable(r) for i, r in final_state(records).items()}


class TestHeartbeat:
    """An idle publication does not make the slot pin the WAL other tables write."""

    @sync
    async def test_slot_advances_while_captured_table_idle(self, cdc_env: CdcEnv) -> None:
        """After other tables write ~8 MB of WAL, the heartbeat carries the slot past it."""
        side = f"{cdc_env.table}_side"
        async with producer_in_process(cdc_env.settings):
            await read_changes(cdc_env.settings, until=lambda r: True, timeout_s=5)
            await asyncio.sleep(1.5)
            with psycopg.connect(cdc_env.url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE TABLE {} (x text)").format(sql.Identifier(side)))
                try:
                    conn.execute(sql.SQL("INSERT INTO {} SELECT md5(g::text) FROM generate_series(1, 100000) g").format(sql.Identifier(side)))
                    written = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
                    deadline = time.monotonic() + 20
                    behind = True
                    while behind and time.monotonic() < deadline:
                        await asyncio.sleep(0.5)
                        row = conn.execute(
                            "SELECT confirmed_flush_lsn >= %s::pg_lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) "
                            "FROM pg_replication_slots WHERE slot_name = %s", (written, cdc_env.settings.cdc_pg_slot)).fetchone()
                        assert row is not None
                        behind = not row[0]
                finally:
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(side)))
        assert not behind, "confirmed_flush_lsn did not pass the WAL written by other tables"
