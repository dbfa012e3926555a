"""`helpdesk tokens`: API tokens for operators, tier teams, KB maintainers and admins."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.tokens import ROLES, SqlTokenStore
from app.wiring import open_database
from core.errors import InvalidInput
from core.settings import Settings

tokens_app = typer.Typer(help="API tokens for operators, tier teams, KB maintainers and admins.",
                         no_args_is_help=True)


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who the token is for (shown in the audit trail).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    team: Annotated[str | None, typer.Option(help="For a tier token: the team code.")] = None,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    settings: Settings = ctx.obj

    async def create() -> str:
        db, sessions = open_database(settings)
        try:
            async with sessions() as session, session.begin():
                return await SqlTokenStore(session).create(name, role, team, [t.code for t in settings.teams])
        finally:
            await db.dispose()

    try:
        token = asyncio.run(create())
    except InvalidInput as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(token)
