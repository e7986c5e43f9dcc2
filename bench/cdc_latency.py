"""Commit-to-Kafka latency of the PostgreSQL CDC producer under a mixed load, with a raw
reference measured in the same run.

Method (Debezium's published one, see reference/anchors.md): a mixed INSERT/UPDATE/DELETE load
(50/35/15) on a table with text, numeric, timestamptz and jsonb columns, at fixed rates; latency
runs from the commit (``source.commit_time``, the commit timestamp pgoutput reports; ``updated_at``
is set to ``clock_timestamp()`` in the same statement) to the Kafka record's timestamp. We also
report commit -> consumer receipt (end to end). The load groups the operations of each 10 ms
tick into one transaction (one connection); the producer runs as its own process
(``hartonomous run cdc-postgres``), as in production.

Raw reference, same run, same machine: a plain INSERT commit followed at once by a raw
aiokafka produce (acks=all) of an event of the same size: the floor of any change path here.

The producer process's CPU time per change is printed too: on a shared machine it tells the
producer's own cost apart from contention. A rate is *sustained* when the load generator reached >= 95 % of it, every change arrived within
5 s of the load stopping, and latency did not grow (last-quarter mean < 2 x first-quarter mean
+ 100 ms). Run with the stack up: ``python bench/cdc_latency.py [--seconds 10]``.
Reference: Debezium, stable at 6,000 ops/s with 258 ms mean / 499 ms p99 (other hardware).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import psutil
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from psycopg import sql

from hartonomous import stack
from hartonomous.bus import ensure_topics
from hartonomous.bus.kafka_config import producer_kwargs
from hartonomous.config import PROJECT_ROOT, Settings

DEBEZIUM = {"rate": 6000, "mean_ms": 258.0, "p99_ms": 499.0}
TICK_S = 0.01


@dataclass
class Arrivals:
    """Per streamed change: commit time, Kafka record timestamp and receipt time (epoch seconds)."""

    rows: list[tuple[float, float, float]] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(url: str, table: str, rate: int, seconds: float, live: list[int], next_id: list[int]) -> float:
    """Mixed load at ``rate`` ops/s; returns the rate achieved."""
    rng = random.Random(rate)
    per_tick, carry, done = rate * TICK_S, 0.0, 0
    ins = sql.SQL("INSERT INTO {} (id, body, amount, updated_at, doc) VALUES (%s, %s, %s, clock_timestamp(), %s)").format(sql.Identifier(table))
    upd = sql.SQL("UPDATE {} SET amount = amount + 1, body = %s, updated_at = clock_timestamp() WHERE id = %s").format(sql.Identifier(table))
    dele = sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(table))
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        tick = 0
        while (elapsed := time.perf_counter() - start) < seconds:
            carry += per_tick
            n, carry = int(carry), carry - int(carry)
            with conn.pipeline(), conn.transaction():
                for _ in range(n):
                    r = rng.random()
                    if r < 0.5 or len(live) < 100:
                        conn.execute(ins, (next_id[0], f"text {next_id[0]} " + "lorem ipsum " * 15, next_id[0] / 7,
                                           json.dumps({"n": next_id[0], "tags": ["a", "b"]})))
                        live.append(next_id[0])
                        next_id[0] += 1
                    elif r < 0.85:
                        conn.execute(upd, (f"updated {rng.random()}", live[rng.randrange(len(live))]))
                    else:
                        conn.execute(dele, (live.pop(rng.randrange(len(live))),))
            done += n
            tick += 1
            sleep = start + tick * TICK_S - time.perf_counter()
            if sleep > 0:
                time.sleep(sleep)
        return done / (time.perf_counter() - start)


async def consume(settings: Settings, topic: str, into: Arrivals, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        while not stop.is_set():
            for batch in (await consumer.getmany(timeout_ms=100, max_records=5000)).values():
                received = time.time()
                for rec in batch:
                    event = json.loads(rec.value)
                    data = event.get("data", {})
                    if data.get("op") == "snapshot":
                        continue
                    commit = event.get("time") or data["source"]["commit_time"]
                    into.rows.append((datetime.fromisoformat(commit).timestamp(), rec.timestamp / 1000, received))
    finally:
        await consumer.stop()


def stats(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    to_ts = [(k - c) * 1000 for c, k, _ in rows]
    to_rx = [(r - c) * 1000 for c, _, r in rows]
    q = max(1, len(rows) // 4)
    return {"n": len(rows), "mean_ms": statistics.fmean(to_ts), "p99_ms": percentile(to_ts, 0.99),
            "e2e_mean_ms": statistics.fmean(to_rx), "e2e_p99_ms": percentile(to_rx, 0.99),
            "first_q_ms": statistics.fmean(to_ts[:q]), "last_q_ms": statistics.fmean(to_ts[-q:])}


async def settle(arrivals: Arrivals, quiet_s: float = 1.0, limit_s: float = 60.0) -> None:
    """Wait until the backlog of the previous rate has arrived (no arrival for ``quiet_s``)."""
    deadline, seen, since = time.time() + limit_s, len(arrivals.rows), time.time()
    while time.time() < deadline and time.time() - since < quiet_s:
        await asyncio.sleep(0.2)
        if len(arrivals.rows) != seen:
            seen, since = len(arrivals.rows), time.time()


async def measure_rate(settings: Settings, url: str, table: str, rate: int, seconds: float, arrivals: Arrivals,
                       live: list[int], next_id: list[int], producer: psutil.Process) -> dict[str, float]:
    await settle(arrivals)
    cpu0 = sum(producer.cpu_times()[:2])
    t0 = time.time()
    achieved = await asyncio.to_thread(run_load, url, table, rate, seconds, live, next_id)
    t1 = time.time()
    deadline = time.time() + 5.0
    while time.time() < deadline:
        window = [r for r in arrivals.rows if t0 <= r[0] <= t1]
        await asyncio.sleep(0.25)
        if len([r for r in arrivals.rows if t0 <= r[0] <= t1]) == len(window) and time.time() - t1 > 1.0:
            break
    await settle(arrivals)
    cpu_s = sum(producer.cpu_times()[:2]) - cpu0
    window = sorted((r for r in arrivals.rows if t0 <= r[0] <= t1), key=lambda r: r[0])
    s = stats(window) if window else {"n": 0}
    s["cpu_us_per_change"] = cpu_s / max(1, len(window)) * 1e6
    drained = bool(window) and max(r[2] for r in window) - t1 < 5.0
    s.update(rate=rate, achieved=achieved, expected=achieved * (t1 - t0),
             sustained=float(achieved >= 0.95 * rate and drained and s.get("n", 0) >= 0.95 * achieved * (t1 - t0)
                             and s["last_q_ms"] < 2 * s["first_q_ms"] + 100))
    return s


async def raw_reference(settings: Settings, url: str, table: str, topic: str, seconds: float, rate: int) -> dict[str, float]:
    """Plain INSERT commit, then at once a raw aiokafka produce of a same-size event (acks=all)."""
    producer = AIOKafkaProducer(**producer_kwargs(settings))
    await producer.start()
    arrivals, stop = Arrivals(), asyncio.Event()
    reader = asyncio.create_task(consume(settings, topic, arrivals, stop))
    payload = "x" * 900
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            start, i = time.perf_counter(), 0
            while time.perf_counter() - start < seconds:
                conn.execute(sql.SQL("INSERT INTO {} (id, body, amount, updated_at, doc) VALUES (%s, 'raw', 1, clock_timestamp(), '{{}}')")
                             .format(sql.Identifier(table)), (10_000_000 + i,))
                committed = datetime.now().astimezone().isoformat()
                event = {"time": committed, "data": {"op": "insert", "pad": payload}}
                await producer.send_and_wait(topic, json.dumps(event).encode(), key=str(i).encode())
                i += 1
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await reader
        await producer.stop()
    return stats(arrivals.rows)


def producer_process(settings: Settings, table: str, topic: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HARTONOMOUS_PG_URL": settings.pg_url, "HARTONOMOUS_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "HARTONOMOUS_CDC_PG_TABLES": f"public.{table}", "HARTONOMOUS_CDC_PG_SLOT": table,
           "HARTONOMOUS_CDC_PG_PUBLICATION": table, "HARTONOMOUS_TOPIC_CDC": topic}
    return subprocess.Popen([sys.executable, "-m", "hartonomous.cli.main", "run", "cdc-postgres"], env=env,
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cleanup(url: str, table: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(40):
            row = conn.execute("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s", (table,)).fetchone()
            if row is None or row[0] is None:
                break
            time.sleep(0.25)
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (table,))
        conn.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(table)))
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
        conn.execute("DELETE FROM hartonomous_cdc.snapshot_state WHERE slot_name = %s", (table,))


def line(label: str, s: dict[str, float]) -> str:
    return (f"{label:<26} {s['achieved']:>8.0f} {s['mean_ms']:>9.1f} {s['p99_ms']:>9.1f} {s['e2e_mean_ms']:>9.1f} "
            f"{s['e2e_p99_ms']:>9.1f}  {'yes' if s.get('sustained') else 'no':<9}  {s['cpu_us_per_change']:>8.0f}")


async def main(seconds: float, rates: list[int]) -> None:
    settings = Settings.from_env()
    settings = settings.replace(pg_url=stack.resolve_pg_url(settings))
    url, table = settings.pg_url, f"bench_cdc_{uuid.uuid4().hex[:8]}"
    topic, raw_topic = f"bench.cdc.{table}", f"bench.raw.{table}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, body text, amount numeric(14,2), "
                             "updated_at timestamptz NOT NULL, doc jsonb)").format(sql.Identifier(table)))
        conn.execute(sql.SQL("INSERT INTO {} SELECT g, 'seed', g, now(), '{{}}' FROM generate_series(1, 1000) g").format(sql.Identifier(table)))
    await ensure_topics(settings, [topic, raw_topic])
    proc = producer_process(settings, table, topic)
    arrivals, stop = Arrivals(), asyncio.Event()
    reader = asyncio.create_task(consume(settings, topic, arrivals, stop))
    live, next_id, results = list(range(1, 1001)), [1001], []
    try:
        await asyncio.sleep(3.0)  # snapshot of the 1,000 seed rows, then streaming
        raw = await raw_reference(settings, url, table, raw_topic, min(seconds, 5.0), 1000)
        plan, lo, hi = list(rates), 0, 0
        while plan:
            rate = plan.pop(0)
            s = await measure_rate(settings, url, table, rate, seconds, arrivals, live, next_id, psutil.Process(proc.pid))
            results.append(s)
            print(f"  measured {rate}/s: {json.dumps({k: round(v, 1) for k, v in s.items()})}", flush=True)
            lo, hi = (max(lo, rate), hi) if s["sustained"] else (lo, min(hi or rate, rate))
            if not plan and len(results) < len(rates) + 3:
                nxt = (lo + hi) // 2 if hi else lo * 2
                if hi and hi - lo <= max(500, lo // 5):
                    break
                plan.append(int(round(nxt, -2)))
    finally:
        stop.set()
        await reader
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        cleanup(url, table)
    print(f"\n{'(ms; rate in ops/s)':<26} {'achieved':>8} {'mean':>9} {'p99':>9} {'e2e mean':>9} {'e2e p99':>9}  sustained  cpu us/change")
    for s in results:
        print(line(f"hartonomous @ {s['rate']:.0f}/s", s))
    print(f"{'raw INSERT+produce @1000/s':<26} {1000:>8} {max(0.0, raw['mean_ms']):>9.1f} {max(0.0, raw['p99_ms']):>9.1f} {raw['e2e_mean_ms']:>9.1f} {raw['e2e_p99_ms']:>9.1f}")
    print(f"{'Debezium (published)':<26} {DEBEZIUM['rate']:>8} {DEBEZIUM['mean_ms']:>9.1f} {DEBEZIUM['p99_ms']:>9.1f}")
    sustained = [s for s in results if s["sustained"]]
    if sustained:
        best = max(sustained, key=lambda s: s["rate"])
        print(f"\nhighest sustained rate: {best['rate']:.0f} ops/s (mean {best['mean_ms']:.1f} ms, p99 {best['p99_ms']:.1f} ms)")
        first = results[0]
        cpu = statistics.median(r["cpu_us_per_change"] for r in results)
        print(f"producer CPU per change: {cpu:.0f} us (median over rates) -> ~{1e6 / cpu:.0f} changes/s per fully free core")
        print(f"ratio ours/raw at {first['rate']:.0f}/s, end to end: mean {first['e2e_mean_ms'] / raw['e2e_mean_ms']:.1f}x, "
              f"p99 {first['e2e_p99_ms'] / raw['e2e_p99_ms']:.1f}x")
        print(f"ratio ours/Debezium (commit -> record timestamp) at {best['rate']:.0f}/s vs {DEBEZIUM['rate']}/s: "
              f"mean {best['mean_ms'] / DEBEZIUM['mean_ms']:.2f}x, p99 {best['p99_ms'] / DEBEZIUM['p99_ms']:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per rate (max 60)")
    parser.add_argument("--rates", default="1000,5000", help="fixed rates first; then a search for the highest sustained")
    args = parser.parse_args()
    asyncio.run(main(min(args.seconds, 60.0), [int(r) for r in args.rates.split(",")]))
