"""``hartonomous run <service>``: start one long-running service.

One small command per service; each builds its service from the settings and runs it until
SIGTERM or SIGINT, after which the service finishes its current batch, confirms and closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import click

from hartonomous.bus import run_until_signalled
from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError


def serve_until_signalled(serve: Callable[[Settings, asyncio.Event], Awaitable[None]], settings: Settings) -> None:
    """Run ``serve`` until SIGTERM/SIGINT; a named failure becomes a one-line error, exit 1."""
    try:
        asyncio.run(run_until_signalled(lambda stop: serve(settings, stop)))
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


@click.group("run")
def command() -> None:
    """Run a pipeline service until SIGTERM/SIGINT."""


@command.command("cdc-postgres")
@click.pass_obj
def cdc_postgres(settings: Settings) -> None:
    """PostgreSQL logical replication (pgoutput) to the CDC topic."""
    from producers.postgres_cdc import serve

    serve_until_signalled(serve, settings)


@command.command("cdc-mssql")
@click.pass_obj
def cdc_mssql(settings: Settings) -> None:
    """SQL Server CDC poller (cdc.fn_cdc_get_all_changes_*) to the CDC topic."""
    from producers.mssql_cdc import serve

    serve_until_signalled(serve, settings)


@command.command("graph")
@click.option("--group", default="hartonomous.graph-projector", show_default=True, help="Kafka consumer group")
@click.option("--projector", default="graph", show_default=True,
              help="logical projector name: keys the exactly-once offsets kept in Neo4j")
@click.option("--exit-after-commits", type=int, default=None, hidden=True,
              help="test hook: SIGKILL itself right after N Neo4j commits (before the Kafka commit)")
@click.pass_obj
def graph(settings: Settings, group: str, projector: str, exit_after_commits: int | None) -> None:
    """The graph projector: lifecycle events on the enriched topic into Neo4j, exactly once."""
    from consumers.graph_projector import run

    asyncio.run(run_until_signalled(lambda stop: run(
        settings, stop, group_id=group, projector=projector, exit_after_commits=exit_after_commits)))


@command.command("enricher")
@click.option("--group", default="hartonomous.enricher", show_default=True, help="Kafka consumer group")
@click.pass_obj
def enricher(settings: Settings, group: str) -> None:
    """The enricher: changes and commands into enriched events, embed and decompose jobs."""
    from consumers.enricher import run

    serve_until_signalled(lambda s, stop: run(s, stop, group_id=group), settings)


@command.command("embedder")
@click.option("--group", default="hartonomous.embedder", show_default=True, help="Kafka consumer group")
@click.option("--crash-after-batches", type=int, default=None, hidden=True,
              help="test hook: SIGKILL itself right after N batches were stored (before the Kafka commit)")
@click.pass_obj
def embedder(settings: Settings, group: str, crash_after_batches: int | None) -> None:
    """The embedder: embed jobs into stored, announced embeddings (all-MiniLM-L6-v2)."""
    from consumers.embedder import run

    serve_until_signalled(
        lambda s, stop: run(s, stop, group_id=group, crash_after_batches=crash_after_batches), settings)


@command.command("decomposer")
@click.option("--group", default="hartonomous.decomposer", show_default=True, help="Kafka consumer group")
@click.pass_obj
def decomposer(settings: Settings, group: str) -> None:
    """The decomposer: decompose-job events into model rows, announced as model.decomposed."""
    from consumers.decomposer import run

    serve_until_signalled(lambda s, stop: run(s, stop, group_id=group), settings)
