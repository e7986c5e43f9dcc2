"""``hartonomous generate --model NAME "PROMPT"``: text from a model's stored weights."""

from __future__ import annotations

import json

import click

from hartonomous.config import Settings
from hartonomous.exceptions import HartonomousError


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.from_env()


@click.command(name="generate")
@click.option("--model", required=True, help="a stored decoder (GPT-2 or Llama family)")
@click.argument("prompt")
@click.option("--max-tokens", type=int, default=32, show_default=True)
@click.option("--temperature", type=float, default=0.0, show_default=True, help="0 = greedy")
@click.option("--top-k", type=int, default=None, help="sample among the k most likely tokens")
@click.option("--seed", type=int, default=None, help="seed of the sampler (reproducible output)")
@click.option("--mode", type=click.Choice(["forward", "walk"]), default="forward", show_default=True,
              help="forward: run the model; walk: cheap nearest-neighbour walk in token-embedding space")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def command(
    ctx: click.Context, model: str, prompt: str, max_tokens: int, temperature: float, top_k: int | None,
    seed: int | None, mode: str, as_json: bool,
) -> None:
    """Continue PROMPT with MODEL, its weights read from the database."""
    from hartonomous.query.inference import generate
    from hartonomous.store import migrate

    settings = _settings(ctx)
    try:
        migrate(settings)
        result = generate(settings, model, prompt, max_tokens=max_tokens, temperature=temperature, top_k=top_k,
                          seed=seed, mode=mode)
    except HartonomousError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    if mode == "walk":
        click.echo("[mode: walk — nearest neighbours in the token-embedding space, NOT a forward pass of the model]")
    click.echo(f"{prompt}{result.text}")
    timings = " ".join(f"{k}={v:.1f}" for k, v in result.timings_ms.items())
    click.echo(f"-- {len(result.token_ids)} tokens, stop: {result.finish_reason}; {timings} "
               f"(audit: inference_requests id {result.request_id})", err=True)
