"""The embedder service against the raw model, and commit-to-queryable latency.

1. Throughput: N WordNet glosses (a seeded sample) are stored as documents and N embed jobs
   are put on a private jobs topic; the embedder service (our consumer runtime: poll, decode,
   validate, load the documents, encode, upsert with the job outcomes, announce, commit) embeds
   the backlog. Its sentences/s, from the start of its first batch to the end of its last, is
   printed next to ``model.encode`` of the same texts with the same batch size in the same
   process, measured before and after the service run (the machine is shared: the mean of the
   two is the reference), and the ratio (goal: at least 90%).
2. Latency: with the real PostgreSQL CDC producer, the enricher and the embedder running,
   rows are inserted into ``documents`` at a steady rate, one transaction each; a poller sees
   each row's embedding become queryable. p50/p99 of (queryable - commit) are printed: the
   whole path row -> WAL -> CDC -> Kafka -> enricher -> Kafka -> embedder -> PostgreSQL.

Everything runs in a private database (dropped at the end, with its replication slot) and on
private topics, so the shared store is untouched. Run with the stack up:
``python bench/embed_throughput.py [--sentences 2000] [--rate 10] [--rows 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence

import psycopg
import psycopg.conninfo
import psycopg.sql

from consumers import embedder as embedder_service
from consumers import enricher as enricher_service
from consumers.embedder import Embedder
from hartonomous import stack
from hartonomous.bus import ConsumerRuntime, Delivery, EventPublisher, Failure, Outgoing, ensure_topics
from hartonomous.config import Settings, Topics
from hartonomous.corpus import load_corpus
from hartonomous.embedding.sentence_transformer import SentenceTransformerEncoder
from hartonomous.enrichment import embed_job_event
from hartonomous.events import new_event, types
from hartonomous.logging import configure_logging
from hartonomous.store import migrate


class Timed:
    """Wraps a batch handler and records when its first batch began and its last one ended."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name = inner, inner.name
        self.first: float | None = None
        self.last = 0.0
        self.batches: list[int] = []

    async def setup(self) -> None:
        await self.inner.setup()

    async def close(self) -> None:
        await self.inner.close()

    async def handle(self, batch: Sequence[Delivery]) -> Sequence[Failure]:
        self.first = self.first or time.perf_counter()
        failures = await self.inner.handle(batch)
        self.last = time.perf_counter()
        self.batches.append(len(batch))
        return failures


def raw_rate(encoder: SentenceTransformerEncoder, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    encoder.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return len(texts) / (time.perf_counter() - start)


def insert_documents(settings: Settings, texts: list[str], source: str) -> list[tuple[int, str]]:
    with psycopg.connect(settings.pg_url, autocommit=True) as conn:
        return conn.execute("INSERT INTO documents (source_uri, content) SELECT %s, t FROM unnest(%s::text[]) t "
                            "RETURNING id, content_hash", (source, texts)).fetchall()


def count_embedded(settings: Settings, ids: Sequence[int]) -> int:
    with psycopg.connect(settings.pg_url, autocommit=True) as conn:
        return int(conn.execute("SELECT count(*) FROM embeddings WHERE document_id = ANY(%s)",
                                (list(ids),)).fetchone()[0])  # type: ignore[index]


async def service_rate(settings: Settings, encoder: SentenceTransformerEncoder, texts: list[str]) -> tuple[float, Timed]:
    rows = insert_documents(settings, texts, "bench://throughput")
    await ensure_topics(settings)
    cause = new_event(types.PING, {"message": "bench"}, source="/bench/embed")
    jobs = [embed_job_event(cause, document_id=i, content_hash=h, embedder=settings.embedder_name) for i, h in rows]
    async with EventPublisher(settings) as pub:
        for start in range(0, len(jobs), 1000):
            await pub.publish_many([Outgoing(settings.topics.jobs_embed, j, j.get_extension("partitionkey"))
                                    for j in jobs[start:start + 1000]])
    publisher = EventPublisher(settings)
    timed = Timed(Embedder(settings, publisher, encoder=encoder, project=False))
    runtime = ConsumerRuntime(settings, timed, topics=[settings.topics.jobs_embed],
                              group_id=f"bench.embedder.{uuid.uuid4().hex[:8]}", publisher=publisher)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    ids = [i for i, _ in rows]
    while await asyncio.to_thread(count_embedded, settings, ids) < len(ids):
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert timed.first is not None
    return len(ids) / (timed.last - timed.first), timed


async def latency(settings: Settings, encoder: SentenceTransformerEncoder, texts: list[str], rate: float) -> list[float]:
    from producers.postgres_cdc import serve as cdc_serve

    stop = asyncio.Event()
    tasks = [asyncio.create_task(cdc_serve(settings, stop)),
             asyncio.create_task(enricher_service.run(settings, stop, encoder=encoder, group_id="bench.enricher")),
             asyncio.create_task(embedder_service.run(settings, stop, encoder=encoder, group_id="bench.embedder",
                                                      project=False))]
    committed: dict[int, float] = {}
    seen: dict[int, float] = {}

    async def poll() -> None:
        with psycopg.connect(settings.pg_url, autocommit=True) as conn:
            while not stop.is_set():
                pending = [i for i in committed if i not in seen]
                if pending:
                    now_rows = conn.execute("SELECT document_id FROM embeddings WHERE document_id = ANY(%s)",
                                            (pending,)).fetchall()
                    now = time.time()
                    for (doc_id,) in now_rows:
                        seen[doc_id] = now
                await asyncio.sleep(0.01)

    poller = asyncio.create_task(poll())
    try:
        with psycopg.connect(settings.pg_url, autocommit=True) as conn:
            warm = conn.execute("INSERT INTO documents (source_uri, content) VALUES ('bench://warm', %s) RETURNING id",
                                (f"warm-up {uuid.uuid4()}",)).fetchone()[0]  # type: ignore[index]
            committed[warm] = time.time()
            while warm not in seen:  # the whole path is up (slot, groups joined, models loaded)
                for task in tasks:
                    if task.done():
                        task.result()
                await asyncio.sleep(0.1)
            interval, next_at = 1.0 / rate, time.monotonic()
            for text in texts:
                doc_id = conn.execute("INSERT INTO documents (source_uri, content) VALUES ('bench://latency', %s) "
                                      "RETURNING id", (text,)).fetchone()[0]  # type: ignore[index]
                committed[doc_id] = time.time()
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        deadline = time.monotonic() + 120
        while len(seen) < len(committed) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks, poller, return_exceptions=True)
    return [(seen[i] - committed[i]) * 1000 for i in committed if i in seen and i != warm]


def private_database(base: Settings, name: str) -> Settings:
    admin = psycopg.conninfo.make_conninfo(base.pg_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    settings = base.replace(pg_url=psycopg.conninfo.make_conninfo(base.pg_url, dbname=name))
    migrate(settings)
    return settings


def drop_database(base: Settings, name: str, slot: str) -> None:
    admin = psycopg.conninfo.make_conninfo(base.pg_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone():
            conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rate", type=float, default=10.0, help="rows/s for the latency run")
    parser.add_argument("--rows", type=int, default=200, help="rows inserted for the latency run (0: skip)")
    args = parser.parse_args()
    configure_logging("WARNING")

    base = Settings.from_env()
    stack.up(base, ["kafka", "postgres"])
    base = base.replace(pg_url=stack.resolve_pg_url(base))
    tag = uuid.uuid4().hex[:10]
    name = f"hbench_{tag}"
    topics = Topics(**{f: f"bench.{f}.{tag}" for f in ("cdc", "commands", "enriched", "jobs_embed",
                                                         "jobs_decompose", "dlq")})
    settings = private_database(base, name).replace(
        topics=topics, embed_batch_size=args.batch_size, cdc_pg_tables="public.documents",
        cdc_pg_slot=name, cdc_pg_publication=name, cdc_heartbeat_s=1.0)
    try:
        records = load_corpus("wordnet", args.sentences + args.rows, seed=1)
        texts = [r.text for r in records[:args.sentences]]
        later = [r.text for r in records[args.sentences:]]
        encoder = SentenceTransformerEncoder(batch_size=args.batch_size)
        raw_rate(encoder, texts[:args.batch_size], args.batch_size)  # warm-up
        before = raw_rate(encoder, texts, args.batch_size)
        ours, timed = asyncio.run(service_rate(settings, encoder, texts))
        after = raw_rate(encoder, texts, args.batch_size)
        reference = (before + after) / 2
        sizes = timed.batches
        print(f"texts: {len(texts)} WordNet glosses, mean {statistics.mean(map(len, texts)):.0f} chars; "
              f"batch size {args.batch_size}")
        print(f"raw model.encode:        {reference:8.1f} sentences/s  (before {before:.1f}, after {after:.1f})")
        print(f"embedder service (e2e):  {ours:8.1f} sentences/s  ({len(sizes)} batches, "
              f"mean {statistics.mean(sizes):.0f} jobs)")
        print(f"ratio:                   {ours / reference:8.1%}   (goal >= 90%)")
        if args.rows:
            lat = sorted(asyncio.run(latency(settings, encoder, later, args.rate)))
            p50 = lat[len(lat) // 2]
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            print(f"commit -> queryable at {args.rate:g} rows/s over {len(lat)} rows "
                  f"(CDC -> enricher -> embedder): p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {lat[-1]:.0f} ms")
    finally:
        drop_database(base, name, name)


if __name__ == "__main__":
    main()
