"""The `helpdesk` command line.

Start-up is kept short (`helpdesk --help` and `helpdesk kb match` run often, by people and scripts): each group
of commands lives in its own module, imported only when one of its commands runs (`LAZY` below), and the
commands defined here import the server's packages inside their bodies.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass(frozen=True)
class Lazy:
    """A command group (or a lone command) defined in `module` as the Typer `attribute`; `summary` is what the
    root's help lists before the module is loaded (a test checks it against the group's own help)."""

    module: str
    attribute: str
    summary: str
    lone: bool = False  # a single top-level command rather than a group

    def load(self, name: str) -> Any:  # a click command: typer vendors click privately, its types unexported
        defined: typer.Typer = getattr(importlib.import_module(self.module), self.attribute)
        holder = typer.Typer()
        if self.lone:
            holder.registered_commands += defined.registered_commands
        else:
            holder.add_typer(defined, name=name)
        return typer.main.get_group(holder).commands[name]


LAZY: dict[str, Lazy] = {
    "serve": Lazy("app.server_cli", "server_app", "Run the HTTP server: operator API, HTTP chat channel, health "
                  "checks; with --telegram, the bot too.", lone=True),
    "kb": Lazy("app.kb_cli", "kb_app", "Knowledge base: lint, match, evaluate, benchmark, tune, gaps."),
    "tickets": Lazy("app.tickets_cli", "tickets_app", "Filed tickets."),
    "flow": Lazy("app.diagram_cli", "flow_app", "The conversation flow."),
    "sla": Lazy("app.sla_cli", "sla_app", "SLA targets on the business calendar."),
    "i18n": Lazy("app.i18n_cli", "i18n_app", "Message catalogues: every text in English, Odia and Hindi."),
    "tokens": Lazy("app.tokens_cli", "tokens_app", "API tokens for operators, tier teams, KB maintainers and admins."),
    "jira": Lazy("app.jira_cli", "jira_app", "The JIRA hand-off for bugs and enhancements."),
    "voice": Lazy("app.voice_cli", "voice_app", "Voice line (IVR): prompts rendered to audio."),
    "telegram": Lazy("app.telegram_cli", "telegram_app", "The Telegram bot's registration with Telegram."),
    "problems": Lazy("app.problems_cli", "problems_app", "Known problems: the spotting job's proposals."),
    "whatsapp": Lazy("app.whatsapp_cli", "whatsapp_app", "The WhatsApp channel (Cloud API)."),
    "email": Lazy("app.email_cli", "email_app", "The e-mail channel (IMAP in, SMTP out)."),
    "backup": Lazy("app.ops_cli", "ops_app", "Back up the database and the attachment files into one archive, while "
                   "the server runs.", lone=True),
    "restore": Lazy("app.ops_cli", "ops_app", "Restore the database and attachments from a backup archive, then "
                    "bring the schema up to date.", lone=True),
    "doctor": Lazy("app.ops_cli", "ops_app", "Check settings, secrets, database, migrations, folders, channels and "
                   "clock; one line each.", lone=True),
    "config": Lazy("app.config_cli", "config_app", "Settings: the generated reference docs/configuration.md."),
    "users": Lazy("app.users_cli", "users_app", "Console accounts for operators, tier teams, KB maintainers "
                  "and admins."),
}


class LazyGroup(TyperGroup):
    """The root group: its own commands, and those of `LAZY`, loaded on first use. While the help is written,
    a lazy group is listed by its summary alone, so `--help` loads none of them."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in LAZY if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        lazy = LAZY.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            if self.listing:
                return TyperCommand(cmd_name, help=lazy.summary)
            self.commands[cmd_name] = lazy.load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


# Plain help and errors at the root: typer's rich formatting imports rich's markdown, syntax and traceback
# modules, most of `helpdesk --help`'s start-up (bench/README.md); the command groups keep it.
cli = typer.Typer(help="Conversational helpdesk for MUKTASoft.", no_args_is_help=True, cls=LazyGroup,
                  rich_markup_mode=None)


@cli.callback()
def _root(ctx: typer.Context) -> None:
    """Build the settings once; every command finds them in ctx.obj."""
    from pydantic import ValidationError

    from core import logmask
    from core.settings import Settings

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
    import asyncio
    import getpass

    from app.server_cli import services_or_exit
    from bot.console import run_interactive, run_json_lines

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
    import asyncio

    from app.wiring import open_database

    settings: Settings = ctx.obj
    db, _ = open_database(settings)
    asyncio.run(db.dispose())
    typer.echo(json.dumps({"database": settings.resolved_database_url(), "schema": "up to date"}))


def main() -> None:
    cli()
