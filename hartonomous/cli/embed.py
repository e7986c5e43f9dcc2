"""``hartonomous embed --model NAME "TEXT"``: a sentence embedding from a model's stored weights."""

from __future__ import annotations

import json

import click

from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.command(name="embed")
@click.option("--model", required=True, help="a stored encoder (BERT family), e.g. all-MiniLM-L6-v2")
@click.argument("texts", nargs=-1)
@click.option("--documents", is_flag=True,
              help="instead of TEXTS: embed the stored documents MODEL lacks (it becomes an embedder of that name)")
@click.option("--limit", type=int, default=None, help="with --documents: at most this many")
@click.option("--category", default=None, help="with --documents: only this category")
@click.option("--json", "as_json", is_flag=True, help="print the full vectors as JSON")
@click.pass_context
def command(ctx: click.Context, model: str, texts: tuple[str, ...], documents: bool, limit: int | None,
            category: str | None, as_json: bool) -> None:
    """Embed TEXTS with MODEL, its weights read from the database (numpy forward pass)."""
    from hartonomous.query.inference import embed
    from hartonomous.store import migrate

    settings = _settings(ctx)
    if documents:
        from hartonomous.query.index import embed_documents

        try:
            migrate(settings)
            done = embed_documents(settings, model, limit=limit, category=category)
        except HartonomousError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
        click.echo(f"embedder {done.embedder}: {done.embedded} documents embedded in {done.seconds:.1f}s "
                   f"(audit: inference_requests id {done.request_id})")
        return
    if not texts:
        raise click.UsageError("give TEXTS, or --documents")
    try:
        migrate(settings)
        result = embed(settings, model, list(texts))
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        click.echo(json.dumps({"model": model, "vectors": result.vectors.round(7).tolist(),
                               "timings_ms": result.timings_ms, "request_id": result.request_id}))
        return
    for text, vector in zip(texts, result.vectors, strict=True):
        head = " ".join(f"{v:+.4f}" for v in vector[:8])
        click.echo(f"{text[:60]!r}: dim={len(vector)} norm={float((vector ** 2).sum()) ** 0.5:.4f} [{head} ...]")
    timings = " ".join(f"{k}={v:.1f}ms" for k, v in result.timings_ms.items())
    click.echo(f"model {model} (weights from the database)  {timings}  (audit: inference_requests id {result.request_id})")
