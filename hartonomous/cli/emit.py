"""``hartonomous emit ingest PATH_OR_URI`` and ``hartonomous emit ping``: publish commands.

Both publish to ``hartonomous.commands`` and return once Kafka acknowledged; the event id is
printed so the request can be followed (``hartonomous audit``, the DLQ, the enriched topic).
"""

from __future__ import annotations

import asyncio

import click

from hartonomous.bus import EventPublisher
from hartonomous.config import Settings
from hartonomous.events import new_event, types
from hartonomous.ingest import IngestError, request_ingest
from hartonomous.ingest.request import KINDS


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.group(name="emit")
def command() -> None:
    """Publish a command event (an ingestion request, a ping) to the commands topic."""


@command.command(name="ingest")
@click.argument("target")
@click.option("--kind", type=click.Choice(KINDS), default="auto", show_default=True,
              help="documents or a model file/folder; auto decides by file type")
@click.option("--category", default=None, help="category given to every chunk (confidence 1.0)")
@click.option("--name", default=None, help="name of the model (kind model)")
@click.option("--chunk-size", type=int, default=None, help="characters per chunk (default: settings)")
@click.option("--chunk-overlap", type=int, default=None, help="characters shared by neighbouring chunks")
@click.pass_context
def ingest(ctx: click.Context, target: str, kind: str, category: str | None, name: str | None,
           chunk_size: int | None, chunk_overlap: int | None) -> None:
    """Ask the pipeline to ingest TARGET: a path or file:// URI under the allowed roots."""
    settings = _settings(ctx)
    try:
        event = asyncio.run(request_ingest(
            settings, target, kind=kind, category=category, name=name,
            chunk_size=chunk_size, chunk_overlap=chunk_overlap,
        ))
    except IngestError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    data = event.get_data()
    assert isinstance(data, dict)
    click.echo(f"{event.get_id()}  {types.INGEST_REQUESTED}  {data['uri']}  -> {settings.topics.commands}")


@command.command(name="ping")
@click.option("--message", default="ping", show_default=True)
@click.option("--count", type=int, default=1, show_default=True)
@click.pass_context
def ping(ctx: click.Context, message: str, count: int) -> None:
    """Publish COUNT ping events (a liveness probe for the bus)."""
    settings = _settings(ctx)

    async def _send() -> list[str]:
        async with EventPublisher(settings) as publisher:
            events = [new_event(types.PING, {"message": message, "seq": i}, source="/hartonomous/cli")
                      for i in range(count)]
            for event in events:
                await publisher.publish(settings.topics.commands, event, key="ping")
            return [e.get_id() for e in events]

    for event_id in asyncio.run(_send()):
        click.echo(f"{event_id}  {types.PING}  -> {settings.topics.commands}")
