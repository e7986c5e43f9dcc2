"""``hartonomous run <service>``: start one long-running service.

One small command per service; each builds its service from the settings and runs it until
SIGTERM or SIGINT, after which the service finishes its current batch, confirms and closes.
"""

from __future__ import annotations

import asyncio

import click

from hartonomous.bus import run_until_signalled
from hartonomous.config import Settings


@click.group("run")
def command() -> None:
    """Run a pipeline service until SIGTERM/SIGINT."""


@command.command("cdc-postgres")
@click.pass_obj
def cdc_postgres(settings: Settings) -> None:
    """PostgreSQL logical replication (pgoutput) to the CDC topic."""
    from producers.postgres_cdc import serve

    asyncio.run(run_until_signalled(lambda stop: serve(settings, stop)))


@command.command("cdc-mssql")
@click.pass_obj
def cdc_mssql(settings: Settings) -> None:
    """SQL Server CDC poller (cdc.fn_cdc_get_all_changes_*) to the CDC topic."""
    from producers.mssql_cdc import serve

    asyncio.run(run_until_signalled(lambda stop: serve(settings, stop)))


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
