"""The `helpdesk` command line."""

from __future__ import annotations

import typer

from app.kb_cli import kb_app
from core.settings import Settings

cli = typer.Typer(help="Conversational helpdesk for MUKTASoft.", no_args_is_help=True)
cli.add_typer(kb_app, name="kb")


@cli.callback()
def _root(ctx: typer.Context) -> None:
    """Build the settings once; every command finds them in ctx.obj."""
    ctx.obj = Settings()


def main() -> None:
    cli()
