"""``hartonomous audit``: ask the provenance graph what happened.

Each sub-command runs one query of ``neo4j/queries`` and prints a readable table (``--json``
for machine output). ``reconcile`` exits 1 when PostgreSQL and the graph disagree.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError
from hartonomous.graph import GraphClient
from hartonomous.graph import audit as library
from hartonomous.graph.report import render_lineage, render_table

T = TypeVar("T")
json_option = click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")


@click.group("audit")
def command() -> None:
    """Audit questions answered from the provenance graph in Neo4j."""


@command.command("lineage")
@click.argument("node_id")
@click.option("--kind", type=click.Choice(sorted(library.LINEAGE_KINDS)), help="only this kind of node")
@json_option
@click.pass_obj
def lineage(settings: Settings, node_id: str, kind: str | None, as_json: bool) -> None:
    """Where NODE_ID (an embedding, model, inference, document or event) came from, back to its
    source row or file and its hash."""
    rows = _query(settings, lambda c: library.lineage(c, node_id, kind=kind))
    _emit(rows, as_json, lambda: render_lineage(rows))
    if not rows:
        sys.exit(1)


@command.command("used-by")
@click.argument("model")
@click.option("--limit", default=library.DEFAULT_LIMIT, show_default=True, help="latest N per kind")
@json_option
@click.pass_obj
def used_by(settings: Settings, model: str, limit: int, as_json: bool) -> None:
    """Inferences (and the knowledge they drew on), embeddings and derived models that used MODEL."""
    result = _query(settings, lambda c: library.used_by(c, model, limit=limit))

    def text() -> str:
        if not result["found"]:
            return f"no model named {model!r} in the graph"
        counts = ", ".join(f"{k}: {v}" for k, v in result["counts"].items())
        table = render_table(result["rows"], ["kind", "id", "time", "detail", "knowledge"])
        return f"model {model} ({counts})\n{table}"

    _emit(result, as_json, text)


@command.command("window")
@click.argument("start", metavar="FROM")
@click.argument("end", metavar="TO")
@click.option("--limit", default=1000, show_default=True)
@json_option
@click.pass_obj
def window(settings: Settings, start: str, end: str, limit: int, as_json: bool) -> None:
    """What happened between FROM (inclusive) and TO (exclusive), ISO dates or date-times (UTC
    unless an offset is given)."""
    rows = _query(settings, lambda c: library.window(c, start, end, limit=limit))
    _emit(rows, as_json, lambda: render_table(
        rows, ["time", "type", "activity", "activity_id", "generated", "used", "source"]))


@command.command("shared-tensors")
@click.argument("model")
@json_option
@click.pass_obj
def shared_tensors(settings: Settings, model: str, as_json: bool) -> None:
    """Models that share tensors with MODEL, by content hash."""
    rows = _query(settings, lambda c: library.shared_tensors(c, model))
    _emit(rows, as_json, lambda: render_table(
        rows, ["model", "shared", "total", "percent", "relation", "examples"]))


@command.command("reconcile")
@json_option
@click.pass_obj
def reconcile(settings: Settings, as_json: bool) -> None:
    """Counts at the source tables, in the store and in the graph; exit 1 when they disagree."""
    graph = _query(settings, library.graph_counts)
    try:
        pg = library.postgres_counts(settings)
    except Exception as exc:  # noqa: BLE001 - reported as a failed command, not a traceback
        raise click.ClickException(f"PostgreSQL: {type(exc).__name__}: {exc}") from exc
    rows = library.reconcile(pg, graph)
    ok = library.agree(rows)
    table_rows = [r.as_row() for r in rows]
    _emit({"agree": ok, "rows": table_rows}, as_json, lambda: render_table(
        table_rows, ["entity", "table", "source", "store", "graph", "status"]))
    if not ok:
        sys.exit(1)


def _query(settings: Settings, ask: Callable[[GraphClient], Awaitable[T]]) -> T:
    async def run() -> T:
        client = GraphClient(settings)
        try:
            await client.setup(wait_s=5.0, apply_schema=False)
            return await ask(client)
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except HartonomousError as exc:
        raise click.ClickException(str(exc)) from exc


def _emit(payload: Any, as_json: bool, text: Callable[[], str]) -> None:
    click.echo(json.dumps(payload, indent=2, default=str) if as_json else text())
