"""``hartonomous model ingest|list|show|export|delete|ensure-embedder|extract``: models as rows.

``ingest`` runs the decomposition here and now (the same code the decomposer consumer runs for
``job.decompose.requested`` events), with a progress bar. It reads any path you can read: the
allowed-roots policy guards requests arriving as events, not the operator's own command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hartonomous.config import Settings


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


def _mb(n: int | float) -> str:
    return f"{n / 1e6:,.1f} MB"


def _errors() -> tuple[type[Exception], ...]:
    from hartonomous.formats import ModelFormatError
    from hartonomous.ingest import IngestError
    from hartonomous.models import ModelStoreError

    return ModelFormatError, ModelStoreError, IngestError


@click.group(name="model")
def command() -> None:
    """Store models as rows, inspect them, and export them back to files."""


@command.command(name="ingest")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--name", default=None, help="model name (default: the file's stem, or its folder's name)")
@click.option("--parent", default=None, help="name of the stored model this one derives from")
@click.option("--derivation", default=None, help="how it derives from --parent (default: fine-tune)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.pass_context
def ingest(ctx: click.Context, path: Path, name: str | None, parent: str | None, derivation: str | None,
           as_json: bool) -> None:
    """Decompose a model file (or a folder holding one) into rows."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from hartonomous.models import IngestOptions, ingest_model, resolve_source
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    try:
        source = resolve_source(path, (Path("/"),))
        bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                       TransferSpeedColumn(), TimeRemainingColumn(), transient=True, disable=as_json)
        with bar, connect(settings) as conn:
            task = bar.add_task(f"ingest {source.weights.name}", total=None)

            def report(done: int, total: int, tensor: str) -> None:
                bar.update(task, completed=done, total=total)

            result = ingest_model(
                conn, queries(settings), source, name=name, options=IngestOptions.from_settings(settings),
                parent=parent, derivation=derivation or ("fine-tune" if parent else None), progress=report,
            )
    except _errors() as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        from hartonomous.models.events import decomposed_data

        click.echo(json.dumps(decomposed_data(result), indent=2))
        return
    state = "unchanged (already stored)" if result.unchanged else f"stored in {result.seconds:.1f}s"
    click.echo(f"{result.name}: {state}")
    click.echo(f"  {result.format} {result.architecture or ''}, {result.tensor_count} tensors, "
               f"{result.layer_count} layers, {result.parameter_count:,} parameters, {_mb(result.tensor_bytes)}")
    click.echo(f"  {result.chunk_count} chunk references, {_mb(result.new_chunk_bytes)} new "
               f"(dedup {result.dedup_ratio:.1%}), {result.weight_rows} weight rows written, "
               f"{result.vocab_size} tokens")


@command.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The stored models, newest first."""
    from hartonomous.models import list_models
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    with connect(settings) as conn:
        rows = list_models(conn, queries(settings))
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    click.echo(f"{'name':<32} {'format':<11} {'architecture':<22} {'params':>13} {'tensors':>7} "
               f"{'bytes':>12} {'new':>12} {'dedup':>6}  parent")
    for r in rows:
        dedup = 1 - r["new_chunk_bytes"] / r["tensor_bytes"] if r["tensor_bytes"] else 1.0
        click.echo(f"{r['name']:<32} {r['format']:<11} {(r['architecture'] or '')[:22]:<22} "
                   f"{r['parameter_count']:>13,} {r['tensor_count']:>7} {_mb(r['tensor_bytes']):>12} "
                   f"{_mb(r['new_chunk_bytes']):>12} {dedup:>6.1%}  {r['parent'] or ''}")


@command.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A model: its layers, tensors, sizes, files and how its chunks are shared."""
    from hartonomous.models import model_details
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    try:
        with connect(settings) as conn:
            details = model_details(conn, queries(settings), name)
    except _errors() as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(details.__dict__, indent=2, default=str))
        return
    _print_details(details)


def _print_details(details: Any) -> None:
    m, d = details.model, details.dedup
    click.echo(f"{m['name']} (id {m['id']}): {m['format']} {m['architecture'] or ''} [{m['family']}]")
    click.echo(f"  file {m['source_uri']}  blake3 {m['file_hash']}")
    click.echo(f"  {m['parameter_count']:,} parameters, {m['tensor_count']} tensors, {m['layer_count']} layers, "
               f"{_mb(m['tensor_bytes'])} of tensors ({_mb(m['bytes'])} file), {m['vocab_size']} tokens")
    if m["parent"]:
        click.echo(f"  derived from {m['parent']} ({m['derivation'] or 'fine-tune'})")
    shared = d["shared_bytes"] / d["distinct_bytes"] if d["distinct_bytes"] else 0.0
    click.echo(f"  chunks: {m['chunk_count']} references, {d['distinct_chunks']} distinct ({_mb(d['distinct_bytes'])}); "
               f"{_mb(m['new_chunk_bytes'])} were new at ingest; {_mb(d['shared_bytes'])} ({shared:.1%}) "
               f"shared with other models; chunking {json.dumps(m['chunking'])}")
    note = m["weight_rows_note"] or {}
    click.echo(f"  weight rows: {note.get('rows', 0)} ({note.get('rows_written', 0)} written at ingest), "
               f"{note.get('sampled_count', 0)} tensors sampled, {note.get('skipped_count', 0)} skipped "
               f"(max {note.get('max_rows')} rows, {note.get('max_dim')} dims)")
    click.echo("\nlayers:")
    for layer in details.layers:
        click.echo(f"  {layer['layer_index']:>4} {layer['name']:<40} {layer['tensors']:>4} tensors "
                   f"{_mb(layer['bytes']):>12}  importance {layer['importance'] or 0:.4g}")
    click.echo("\ntensors:")
    for t in details.tensors:
        shape = "x".join(str(s) for s in t["shape"]) or "scalar"
        click.echo(f"  {t['name']:<56} {t['component']:<9} {(t['role'] or ''):<16} {t['dtype']:<6} {shape:<14} "
                   f"{_mb(t['nbytes']):>10}  imp {t['importance'] if t['importance'] is not None else float('nan'):.4g}"
                   f"  {t['content_hash'][:12]}")
    if details.files:
        click.echo("\nfiles:")
        for f in details.files:
            click.echo(f"  {f['path']:<40} {f['kind']:<8} {f['bytes']:>10} bytes")


@command.command(name="export")
@click.argument("name")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["safetensors", "gguf"]), default=None,
              help="default: gguf for models from GGUF, else safetensors")
@click.option("--dequantize", is_flag=True, help="write every float tensor as F32 safetensors")
@click.option("--force", is_flag=True, help="overwrite existing files")
@click.pass_context
def export(ctx: click.Context, name: str, out: Path, fmt: str | None, dequantize: bool, force: bool) -> None:
    """Write a stored model to OUT (a folder, or a .safetensors/.gguf file), tensors byte-identical."""
    from hartonomous.models import export_model
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    try:
        with connect(settings) as conn:
            result = export_model(conn, queries(settings), name, out, fmt=fmt, dequantize=dequantize, force=force)
    except _errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: {result.tensors} tensors to {result.weights} ({result.format}, {_mb(result.bytes)})")
    for path in result.files[1:]:
        click.echo(f"  + {path}")


@command.command(name="delete")
@click.argument("name")
@click.option("--keep-chunks", is_flag=True, help="do not garbage-collect chunks no model uses any more")
@click.pass_context
def delete(ctx: click.Context, name: str, keep_chunks: bool) -> None:
    """Delete a stored model (and the chunks and weight rows only it used)."""
    from hartonomous.models import collect_garbage, delete_model
    from hartonomous.store import connect, migrate, queries

    settings = _settings(ctx)
    migrate(settings)
    with connect(settings) as conn:
        sql = queries(settings)
        if not delete_model(conn, sql, name):
            raise click.ClickException(f"no stored model named {name!r}")
        click.echo(f"{name}: deleted")
        if not keep_chunks:
            gc = collect_garbage(conn, sql)
            click.echo(f"  {gc.chunks} chunks ({_mb(gc.chunk_bytes)}) and {gc.weight_rows} weight rows freed")


@command.command(name="ensure-embedder")
@click.pass_context
def ensure_embedder(ctx: click.Context) -> None:
    """Store the embedder's own encoder (all-MiniLM-L6-v2 from the wheel) once, linked to its embedder."""
    from hartonomous.models import ensure_embedder_model
    from hartonomous.store import migrate

    settings = _settings(ctx)
    migrate(settings)
    try:
        result = ensure_embedder_model(settings)
    except _errors() as exc:
        raise click.ClickException(str(exc)) from exc
    state = "already stored" if result.unchanged else f"stored in {result.seconds:.1f}s"
    click.echo(f"{result.name}: {state} (model id {result.model_id}, {result.tensor_count} tensors)")


def _int_list(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from exc


@command.command(name="extract")
@click.argument("parent")
@click.option("--name", required=True, help="name of the student model")
@click.option("--layers", default=None, help="layers to keep, e.g. 0,1,2 (default: all)")
@click.option("--heads", default=None, help="attention heads to keep in every layer (Llama family), e.g. 0,1")
@click.option("--ffn-keep", type=float, default=None, help="fraction of FFN neurons kept per layer, by importance")
@click.option("--importance-threshold", type=float, default=None,
              help="keep FFN neurons at least this many times their layer's mean importance")
@click.pass_context
def extract(ctx: click.Context, parent: str, name: str, layers: str | None, heads: str | None,
            ffn_keep: float | None, importance_threshold: float | None) -> None:
    """Create a smaller student from PARENT's rows, sharing its chunks (hartonomous.query.extract)."""
    from hartonomous.exceptions import HartonomousError
    from hartonomous.query.extract import extract_student
    from hartonomous.store import migrate

    settings = _settings(ctx)
    migrate(settings)
    try:
        result = extract_student(settings, parent, name, layers=_int_list(layers), heads=_int_list(heads),
                                 ffn_keep=ffn_keep, importance_threshold=importance_threshold)
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    click.echo(f"{name} (model id {result.model_id}) from {parent}: {result.method} {json.dumps(result.selection)}")
    click.echo(f"  parameters {result.parameters:,} of the parent's {result.parent_parameters:,} "
               f"({result.parameters / max(1, result.parent_parameters):.0%}); {result.shared_tensors}/{result.tensors} "
               f"tensors shared with the parent; {_mb(result.new_chunk_bytes)} of new chunks")
    click.echo(f"  export it: hartonomous model export {name} DIR  (audit: inference_requests id {result.request_id})")
