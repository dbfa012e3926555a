"""`helpdesk users`: console accounts (sign-in with a name and a password)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Annotated

import typer

from api.tokens import ROLES
from app.wiring import open_database
from core.errors import HelpdeskError
from core.settings import Settings
from web.accounts import SqlAccounts

users_app = typer.Typer(help="Console accounts for operators, tier teams, KB maintainers and admins.",
                        no_args_is_help=True)


def _password() -> str:
    """Asked twice on a terminal; read as one line from standard input otherwise (scripts, tests)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        typer.echo("error: the two passwords differ", err=True)
        raise typer.Exit(2)
    return first


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The sign-in name (shown in the audit trail).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "operator",
    team: Annotated[str | None, typer.Option(help="For a tier member: the team code.")] = None,
) -> None:
    """Create a console account; the password is asked for (or read from standard input)."""
    settings: Settings = ctx.obj
    password = _password()

    async def create() -> None:
        db, sessions = open_database(settings)
        try:
            async with sessions() as session, session.begin():
                await SqlAccounts(session).create(name, role, password, team, [t.code for t in settings.teams])
        finally:
            await db.dispose()

    try:
        asyncio.run(create())
    except HelpdeskError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"created {role} account {name!r}")
