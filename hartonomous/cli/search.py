"""``hartonomous search "TEXT"``: semantic search over the stored documents (logged for audit)."""

from __future__ import annotations

import json

import click

from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.command(name="search")
@click.argument("text")
@click.option("--mode", type=click.Choice(["exact", "ann", "hybrid"]), default="ann", show_default=True,
              help="exact: brute force; ann: HNSW index; hybrid: 3-D projection candidates + exact rerank")
@click.option("-k", "k", type=int, default=10, show_default=True, help="number of results")
@click.option("--category", default=None, help="only documents of this category")
@click.option("--metadata", "metadata_json", default=None, help='only documents whose metadata contains this JSON')
@click.option("--ef-search", type=int, default=None, help="HNSW ef_search (ann; default settings.search_ef_search)")
@click.option("--candidates", type=int, default=None, help="hybrid candidate count (default settings.search_candidates)")
@click.option("--embedder", "embedders", multiple=True,
              help="embedder name (default: the configured one); give several for an ensemble")
@click.option("--fusion", type=click.Choice(["rrf", "weighted"]), default="rrf", show_default=True,
              help="how an ensemble fuses its embedders' scores")
@click.option("--weight", "weights", type=float, multiple=True, help="one weight per --embedder (ensemble)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.pass_context
def command(
    ctx: click.Context, text: str, mode: str, k: int, category: str | None, metadata_json: str | None,
    ef_search: int | None, candidates: int | None, embedders: tuple[str, ...], fusion: str,
    weights: tuple[float, ...], as_json: bool,
) -> None:
    """Find the documents nearest to TEXT; prints scores, document ids and timing."""
    from hartonomous.query.ensemble import search_ensemble
    from hartonomous.query.search import search
    from hartonomous.store import migrate

    settings = _settings(ctx)
    try:
        metadata = json.loads(metadata_json) if metadata_json else None
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--metadata") from exc
    try:
        migrate(settings)
        if len(embedders) > 1:
            result = search_ensemble(
                settings, text, list(embedders), weights=list(weights) or None, method=fusion, k=k,
                mode="exact" if mode == "exact" else "ann", ef_search=ef_search, category=category, metadata=metadata,
            )
        else:
            result = search(
                settings, text, mode=mode, k=k, embedder=embedders[0] if embedders else None,
                category=category, metadata=metadata, ef_search=ef_search, candidates=candidates,
            )
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    params = " ".join(f"{key}={value}" for key, value in result.params.items())
    click.echo(f"{result.mode} search with {', '.join(result.embedders)} (k={result.k} {params})")
    for hit in result.hits:
        label = hit.title or hit.source_uri or ""
        click.echo(f"{hit.rank:>3}. {hit.score:.4f}  doc {hit.document_id}  {label}")
        if hit.snippet:
            click.echo(f"       {' '.join(hit.snippet.split())[:120]}")
        if hit.contributions:
            parts = [f"{name}: cos={c.get('cosine') if c.get('cosine') is None else round(c['cosine'], 4)} "
                     f"rank={c.get('rank')}" for name, c in hit.contributions.items()]
            click.echo(f"       contributions: {'; '.join(parts)}")
    timings = " ".join(f"{key}={value:.1f}ms" for key, value in result.timings_ms.items())
    click.echo(f"timing: {timings}  (audit: inference_requests id {result.request_id})")
