"""``hartonomous embeddings status|refit-projection``: the state of the embeddings."""

from __future__ import annotations

import click

from hartonomous.config import Settings
from hartonomous.embedding import ProjectionError


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.group(name="embeddings")
def command() -> None:
    """Inspect embeddings and manage their 3-D projection."""


@command.command(name="status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Per embedder: documents, embedded, pending, without projection, projection version."""
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    with connect(settings) as conn:
        rows = conn.execute(queries(settings)["embedding_counts"]).fetchall()
    click.echo(f"{'embedder':<24} {'documents':>9} {'embedded':>9} {'pending':>8} {'no-proj':>8} {'proj-v':>6}")
    for name, docs, done, pending, no_proj, version in rows:
        click.echo(f"{name:<24} {docs:>9} {done:>9} {pending:>8} {no_proj:>8} {version:>6}")


@command.command(name="refit-projection")
@click.option("--embedder", default=None, help="embedder name (default: settings.embedder_name)")
@click.option("--no-fit", is_flag=True, help="only project rows missing the current version")
@click.pass_context
def refit_projection(ctx: click.Context, embedder: str | None, no_fit: bool) -> None:
    """Fit a new 3-D projection version on the stored vectors and project every embedding."""
    from hartonomous.embedding.refit import refit_projection as refit

    try:
        result = refit(_settings(ctx), embedder, fit=not no_fit)
    except ProjectionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.embedder}: projection v{result.version} fitted on {result.fitted_on} vectors, "
               f"{result.projected} embeddings projected in {result.seconds:.1f}s")
