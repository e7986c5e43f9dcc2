"""Projection throughput into Neo4j by batch size, and audit query latency by graph size.

Runs on a private Neo4j (own port and state in a temporary directory, removed at the end), so
the shared one is neither loaded nor polluted.

1. events/s through the projector's sink (``Neo4jProjectionStore.apply``: one transaction per
   batch, offset node included) for batch sizes 1, 100, 1000 and 5000, for two workloads:
   nodes-only (one ``:Event`` MERGE per event) and with relationships (document changes and
   embeddings: about 3.5 nodes and 5.5 relationships per event). The reference, measured in the
   same run on fresh keys (before and after the batched runs, averaged), is the same writes done
   one event per transaction.
2. The latency (median and p95 of 15 runs after 3 warm-ups) of each audit query at 100k and
   1M nodes, loaded through the same sink in batches of 5000; the reference is a plain
   index lookup of one node by key on the same graph. If loading stops at ``--max-load-s``
   the size actually reached is printed.

    python bench/graph_projection.py [--sizes 100000,1000000] [--max-load-s 300]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from neo4j import AsyncGraphDatabase

from hartonomous.config import Settings
from hartonomous.graph import BatchItem, GraphClient, Neo4jProjectionStore, Origin, PartitionKey, Projection, project
from hartonomous.graph import audit
from hartonomous.graph.testing import LifecycleEvents, private_neo4j
from hartonomous.logging import configure_logging

BATCH_SIZES = (1, 100, 1000, 5000)
EVENTS = {1: 300, 100: 3000, 1000: 10_000, 5000: 20_000}
REFERENCE_EVENTS = 300
LOAD_BATCH = 5000


def node_items(prefix: str, n: int) -> list[BatchItem]:
    """Nodes only: one Event row per event."""
    return [BatchItem(i, projection=Projection({"event": ({
        "id": f"{prefix}{i}", "type": "bench", "source": "/bench", "subject": None,
        "time": "2025-03-01T12:00:00+00:00", "topic": prefix, "partition": 0, "offset": i, "causes": [],
    },)})) for i in range(n)]


def relationship_items(prefix: str, n: int) -> list[BatchItem]:
    """With relationships: a document change, then its embedding, alternately."""
    f = LifecycleEvents(prefix)
    items = []
    for i in range(n):
        event = f.document_change(i // 2) if i % 2 == 0 else f.embedding_created(i // 2)
        items.append(BatchItem(i, projection=project(event, Origin(prefix, 0, i))))
    return items


async def rate(store: Neo4jProjectionStore, items: list[BatchItem], batch: int, topic: str) -> float:
    """Events/s writing ``items`` in transactions of ``batch`` events."""
    where = PartitionKey("bench", topic, 0)
    start = time.perf_counter()
    for first in range(0, len(items), batch):
        await store.apply(where, first, items[first:first + batch])
    return len(items) / (time.perf_counter() - start)


async def throughput(store: Neo4jProjectionStore) -> None:
    print("\n== projection throughput (events/s; reference: the same writes, one event per transaction)")
    print(f"{'workload':<20}{'batch':>6}{'events':>8}{'ours ev/s':>12}{'ref ev/s':>11}{'ratio':>8}")
    workloads: dict[str, Callable[[str, int], list[BatchItem]]] = {
        "nodes-only": node_items, "with relationships": relationship_items}
    await rate(store, relationship_items("warm1-", 200), 1, "warm1")  # JIT, page cache, pools
    await rate(store, relationship_items("warm2-", 5000), 1000, "warm2")
    for seq, (name, build) in enumerate(workloads.items()):
        before = await rate(store, build(f"ref{seq}a-", REFERENCE_EVENTS), 1, f"ref{seq}a")
        rates = {batch: await rate(store, build(f"b{seq}-{batch}-", EVENTS[batch]), batch, f"b{seq}-{batch}")
                 for batch in BATCH_SIZES}
        after = await rate(store, build(f"ref{seq}b-", REFERENCE_EVENTS), 1, f"ref{seq}b")
        reference = (before + after) / 2  # measured before and after: the machine is shared
        for batch, ours in rates.items():
            print(f"{name:<20}{batch:>6}{EVENTS[batch]:>8}{ours:>12,.0f}{reference:>11,.0f}{ours / reference:>7.1f}x")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_stream(f: LifecycleEvents) -> Iterator[Any]:
    """Twenty models (each sharing half its tensors with m0, a fine-tune of it), then per unit i:
    a document, its embedding, and every 20th unit an inference drawing on three documents."""
    for k in range(20):
        tensors = [{"name": f"layers.{j // 5}.w{j}", "content_hash": _hash(f"m{k if j >= 25 else 0}-{j}"),
                    "layer": f"layers.{j // 5}", "layer_index": j // 5} for j in range(50)]
        extra = {"parent": f.name("m0")} if k else {}
        yield f.model_decomposed(f"m{k}", tensors=tensors, **extra)
    unit = 0
    while True:
        yield f.document_change(unit)
        yield f.embedding_created(unit)
        if unit % 20 == 19:
            yield f.inference_logged(unit, documents=(unit - 2, unit - 1, unit), models=("minilm", f"m{(unit // 20) % 20}"))
        unit += 1


async def clear(settings: Settings) -> None:
    """Delete every node (the throughput runs' data) before loading the query graph."""
    async with AsyncGraphDatabase.driver(settings.bolt_uri) as driver, driver.session() as session:
        result = await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
        await result.consume()


async def node_count(settings: Settings) -> int:
    async with AsyncGraphDatabase.driver(settings.bolt_uri) as driver:
        result = await driver.execute_query("MATCH (n) RETURN count(n) AS n")
    return int(result.records[0]["n"])


async def load_to(settings: Settings, store: Neo4jProjectionStore, stream: Iterator[Any], state: dict[str, int],
                  target: int, deadline: float) -> tuple[int, float]:
    """Project the stream until the graph holds ``target`` nodes (or the deadline); returns the
    node count reached and the events/s of the load."""
    start, events = time.perf_counter(), 0
    nodes = await node_count(settings)
    while nodes < target and time.perf_counter() < deadline:
        items = [BatchItem(state["offset"] + i, projection=project(e, Origin("load", 0, state["offset"] + i)))
                 for i, e in zip(range(LOAD_BATCH), stream, strict=False)]
        await store.apply(PartitionKey("bench", "load", 0), state["offset"], items)
        state["offset"] += len(items)
        events += len(items)
        nodes = await node_count(settings)
    return nodes, events / max(time.perf_counter() - start, 1e-9)


async def timed(call: Callable[[], Awaitable[Any]], runs: int = 15, warmup: int = 3) -> tuple[float, float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


async def latencies(settings: Settings, client: GraphClient, f: LifecycleEvents, units: int) -> None:
    mid = max(units // 2, 3)
    start = f.start.timestamp() + 20 + mid * 2.05
    window_from = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start))
    window_to = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start + 10))
    async with AsyncGraphDatabase.driver(settings.bolt_uri) as driver:
        async def reference() -> Any:
            return await driver.execute_query("MATCH (d:Document {id: $id}) RETURN d.id", id=f.doc(mid))

        queries: dict[str, Callable[[], Awaitable[Any]]] = {
            "lineage (embedding)": lambda: audit.lineage(client, f"{f.name('minilm')}|{f.doc(mid)}"),
            "lineage (inference)": lambda: audit.lineage(client, str(f.doc(19)), kind="inference"),
            "used-by (embedder)": lambda: audit.used_by(client, f.name("minilm")),
            "used-by (m0)": lambda: audit.used_by(client, f.name("m0")),
            "window (10 s)": lambda: audit.window(client, window_from, window_to),
            "shared-tensors (m0)": lambda: audit.shared_tensors(client, f.name("m0")),
            "reconcile (graph counts)": lambda: audit.graph_counts(client),
        }
        ref_median, _ = await timed(reference)
        print(f"{'query':<28}{'rows':>6}{'median ms':>10}{'p95 ms':>9}{'ref ms':>8}{'ratio':>8}")
        for name, call in queries.items():
            answer = await call()
            size = len(answer["rows"]) if isinstance(answer, dict) and "rows" in answer else len(answer)
            median, p95 = await timed(call)
            print(f"{name:<28}{size:>6}{median:>10.1f}{p95:>9.1f}{ref_median:>8.2f}{median / ref_median:>7.1f}x")


async def run(settings: Settings, sizes: list[int], max_load_s: float, skip_throughput: bool) -> None:
    client = GraphClient(settings)
    await client.setup()
    try:
        store = Neo4jProjectionStore(client)
        if not skip_throughput:
            await throughput(store)
            await clear(settings)
        f = LifecycleEvents("q-")
        stream, state = load_stream(f), {"offset": 0}
        deadline = time.perf_counter() + max_load_s
        for target in sizes:
            nodes, load_rate = await load_to(settings, store, stream, state, target, deadline)
            units = max(0, (state["offset"] - 20) * 20 // 41)  # 41 events per 20 units
            note = "" if nodes >= target else f"  (load stopped at --max-load-s; target was {target:,})"
            print(f"\n== audit query latency at {nodes:,} nodes (loaded at {load_rate:,.0f} events/s){note}")
            await latencies(settings, client, f, units)
            if nodes < target:
                break
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="graph sizes (nodes) for the query latencies")
    parser.add_argument("--max-load-s", type=float, default=300.0, help="give up loading after this long")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    configure_logging("WARNING")
    base = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="hartonomous-bench-neo4j-") as tmp:
        with private_neo4j(base, Path(tmp), heap="1g", pagecache="512m") as settings:
            print(f"private Neo4j at {settings.bolt_uri} (state in {tmp}, removed at the end)")
            asyncio.run(run(settings, sizes, args.max_load_s, args.skip_throughput))


if __name__ == "__main__":
    main()
