"""`helpdesk users`: console accounts (sign-in with a name and a password)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from api.account_admin import AccountAdmin
from api.accounts import SqlAccounts
from api.throttle import address_key, unlock
from api.tokens import ROLES
from app.db_run import in_transaction
from app.wiring import open_database
from core.db import utcnow
from core.errors import HelpdeskError
from core.settings import Settings

T = TypeVar("T")

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


NameArg = Annotated[str, typer.Argument(help="The account's sign-in name.")]


def _admin(ctx: typer.Context, work: Callable[[AccountAdmin], Awaitable[T]]) -> T:
    return in_transaction(ctx.obj, lambda session: work(AccountAdmin(session, utcnow())))


@users_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Every account: name, role, team, whether disabled or locked out; one JSON object a line."""
    for info in _admin(ctx, lambda admin: admin.all()):
        typer.echo(json.dumps({"name": info.name, "role": info.role, "team": info.team,
                               "disabled": info.disabled_at is not None,
                               "locked_until": info.locked_until.isoformat(timespec="seconds")
                               if info.locked_until else None}))


@users_app.command("disable")
def disable_user(ctx: typer.Context, name: NameArg) -> None:
    """Disable an account: its sessions end and it cannot sign in, from the next request on."""
    ended = _admin(ctx, lambda admin: admin.disable(name))
    typer.echo(f"disabled account {name!r}; {ended} session(s) ended")


@users_app.command("enable")
def enable_user(ctx: typer.Context, name: NameArg) -> None:
    """Let a disabled account sign in again."""
    _admin(ctx, lambda admin: admin.enable(name))
    typer.echo(f"enabled account {name!r}")


@users_app.command("set-role")
def set_user_role(
    ctx: typer.Context, name: NameArg,
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
    team: Annotated[str | None, typer.Option(help="For a tier member: the team code.")] = None,
) -> None:
    """Change an account's role (and team); it applies from its next request."""
    teams = [t.code for t in ctx.obj.teams]
    _admin(ctx, lambda admin: admin.set_role(name, role, team, teams))
    typer.echo(f"account {name!r} is now {role}")


@users_app.command("set-password")
def set_user_password(ctx: typer.Context, name: NameArg) -> None:
    """Set a new password (asked for, or read from standard input); every session of the account ends."""
    password = _password()
    ended = _admin(ctx, lambda admin: admin.set_password(name, password))
    typer.echo(f"password of {name!r} changed; {ended} session(s) ended")


@users_app.command("unlock")
def unlock_user(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The account to unlock.")] = None,
    address: Annotated[str | None, typer.Option(help="Unlock a client address instead.")] = None,
) -> None:
    """Lift a sign-in lockout (and forget the failed attempts) of an account or a client address."""
    if (name is None) == (address is None):
        typer.echo("error: name an account or give --address, not both", err=True)
        raise typer.Exit(2)
    if name is not None:
        lifted = _admin(ctx, lambda admin: admin.unlock(name))
    else:
        lifted = in_transaction(ctx.obj, lambda session: unlock(session, address_key(str(address))))
    typer.echo(f"unlocked {name or address!r}" if lifted else f"{name or address!r} was not locked")
