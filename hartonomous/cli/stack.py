"""``hartonomous stack up|down|status [kafka|neo4j|postgres ...]``: the local servers."""

from __future__ import annotations

import click

from hartonomous.config import Settings
from hartonomous.stack import SERVICE_NAMES, StackError, down, fetch, status, up
from hartonomous.stack.service import ServiceStatus

_SERVICE_ARG = click.argument("names", nargs=-1, type=click.Choice(SERVICE_NAMES))


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.group(name="stack")
def command() -> None:
    """Start, stop and check Kafka, Neo4j and PostgreSQL (no Docker, no root needed)."""


@command.command(name="up")
@_SERVICE_ARG
@click.pass_context
def up_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Start the servers (all by default) and wait until each answers. Safe to repeat."""
    try:
        for result in up(_settings(ctx), names):
            pid = "-" if result.pid is None else str(result.pid)
            click.echo(
                f"{result.name:<9} {result.state:<8} {result.seconds:7.1f}s  "
                f"{result.address}  pid {pid}"
            )
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc


@command.command(name="down")
@_SERVICE_ARG
@click.pass_context
def down_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Stop the servers that `stack up` started (by PID file); nothing else is touched."""
    try:
        for name, stopped in down(_settings(ctx), names).items():
            click.echo(f"{name:<9} {'stopped' if stopped else 'not running (nothing of ours)'}")
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc


@command.command(name="fetch")
@click.pass_context
def fetch_command(ctx: click.Context) -> None:
    """Resolve the Kafka and Neo4j jars from Maven Central now (setup/CI), without starting."""
    try:
        for name, ran in fetch(_settings(ctx)).items():
            click.echo(f"{name:<9} {'resolved' if ran else 'already resolved'}")
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc


@command.command(name="status")
@_SERVICE_ARG
@click.pass_context
def status_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Ask each server a real question; exit 1 if any is down."""
    rows = status(_settings(ctx), names)
    click.echo(render_table(rows))
    if not all(row.healthy for row in rows):
        ctx.exit(1)


def render_table(rows: list[ServiceStatus]) -> str:
    """A fixed-width table: service, state, address, pid (and why, when down)."""
    header = ("SERVICE", "STATE", "ADDRESS", "PID")
    body = [
        (r.name, r.state, r.address, "-" if r.pid is None else str(r.pid), r.detail) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for row in body:
        cells = "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True))
        lines.append(f"{cells}  {row[4]}".rstrip())
    return "\n".join(lines)
