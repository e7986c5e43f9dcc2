"""Entry point of the ``hartonomous`` command.

Each sub-command lives in its own module under ``hartonomous.cli`` and exposes a click object
named ``command``; it is listed in ``SUBCOMMAND_MODULES`` and imported only when used, so
``hartonomous stack status`` never pays for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from hartonomous.config import Settings
from hartonomous.logging import configure_logging

# CLI name -> module under hartonomous.cli that defines `command`
SUBCOMMAND_MODULES: dict[str, str] = {
    "stack": "stack",
    "emit": "emit",
    "inspect-event": "inspect_event",
    "run": "run",
    "audit": "audit",
    "demo": "demo",
    "search": "search",
    "embed": "embed",
    "generate": "generate",
    "embeddings": "embeddings",
    "model": "model",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = SUBCOMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(f"hartonomous.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hartonomous.cli.{module_name}":
                return None
            raise
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup)
@click.option("--log-level", default="WARNING", show_default=True, help="structlog level")
@click.option("--pretty-logs", is_flag=True, help="human-readable logs instead of JSON")
@click.pass_context
def cli(ctx: click.Context, log_level: str, pretty_logs: bool) -> None:
    """Hartonomous: a database turned into an AI system you can audit."""
    configure_logging(log_level, json=not pretty_logs)
    ctx.obj = Settings.from_env()


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="hartonomous")


if __name__ == "__main__":
    main()
