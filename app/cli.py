"""The `helpdesk` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from app import tokens_cli  # noqa: F401 (adds list, revoke, rotate to `helpdesk tokens`)
from app.diagram_cli import flow_app
from app.gaps_cli import gaps
from app.i18n_cli import i18n_app
from app.jira_cli import jira_app
from app.kb_cli import kb_app
from app.ops_cli import ops_app
from app.problems_cli import problems_app
from app.server_cli import server_app, services_or_exit, tokens_app
from app.sla_cli import sla_app
from app.telegram_cli import telegram_app
from app.tickets_cli import tickets_app
from app.users_cli import users_app
from app.voice_cli import voice_app
from app.whatsapp_cli import whatsapp_app
from app.wiring import open_database
from bot.console import run_interactive, run_json_lines
from core import logmask
from core.settings import Settings

cli = typer.Typer(help="Conversational helpdesk for MUKTASoft.", no_args_is_help=True)
kb_app.command("gaps")(gaps)
cli.add_typer(kb_app, name="kb")
cli.add_typer(tickets_app, name="tickets")
cli.add_typer(flow_app, name="flow")
cli.add_typer(sla_app, name="sla")
cli.add_typer(i18n_app, name="i18n")
cli.add_typer(tokens_app, name="tokens")
cli.add_typer(jira_app, name="jira")
cli.add_typer(voice_app, name="voice")
cli.add_typer(telegram_app, name="telegram")
cli.add_typer(problems_app, name="problems")
cli.add_typer(users_app, name="users")
cli.add_typer(whatsapp_app, name="whatsapp")
cli.registered_commands += server_app.registered_commands
cli.registered_commands += ops_app.registered_commands


@cli.callback()
def _root(ctx: typer.Context) -> None:
    """Build the settings once; every command finds them in ctx.obj."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logmask.install()  # no Aadhaar-like or phone number in any log line
    try:
        ctx.obj = Settings()
    except ValidationError as err:
        if ctx.invoked_subcommand == "doctor":  # it reports each wrong setting itself
            ctx.meta["settings_error"] = err
            return
        from app.doctor import settings_errors

        lines = "\n".join(f.message for f in settings_errors(err))
        typer.echo(f"error: the settings are wrong (`helpdesk doctor` checks them all):\n{lines}", err=True)
        raise typer.Exit(2) from err


@cli.command()
def chat(
    ctx: typer.Context,
    json_lines: Annotated[bool, typer.Option("--json", help="Speak JSON lines on stdin/stdout.")] = False,
    user: Annotated[str | None, typer.Option(help="Your user id in the console channel.")] = None,
) -> None:
    """Chat with the helpdesk in the terminal (or as JSON lines, for scripts)."""
    services = services_or_exit(ctx.obj)

    async def run() -> None:
        try:
            if json_lines:
                await run_json_lines(services.engine, sys.stdin, sys.stdout)
            else:
                await run_interactive(services.engine, user or getpass.getuser())
        finally:
            await services.db.dispose()

    asyncio.run(run())


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to date (also done automatically on start)."""
    settings: Settings = ctx.obj
    db, _ = open_database(settings)
    asyncio.run(db.dispose())
    typer.echo(json.dumps({"database": settings.resolved_database_url(), "schema": "up to date"}))


def main() -> None:
    cli()
