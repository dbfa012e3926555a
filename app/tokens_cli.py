"""`helpdesk tokens create|list|revoke|rotate`: API tokens for operators, tier teams, KB maintainers and admins."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from api.tokens import ROLES, SqlTokenStore, TokenInfo
from app.db_run import in_transaction
from app.wiring import open_database
from core.db import utcnow
from core.errors import InvalidInput
from core.expiry import parse_expiry
from core.settings import Settings

tokens_app = typer.Typer(help="API tokens for operators, tier teams, KB maintainers and admins.",
                         no_args_is_help=True)

ExpiresOption = Annotated[str | None, typer.Option(
    "--expires", help="When the token stops working: a span (30d, 12h, 90m) or a date (2027-03-31); default never.")]


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who the token is for (shown in the audit trail).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    team: Annotated[str | None, typer.Option(help="For a tier token: the team code.")] = None,
    expires: ExpiresOption = None,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    settings: Settings = ctx.obj

    async def create() -> str:
        until = parse_expiry(expires, utcnow()) if expires else None
        db, sessions = open_database(settings)
        try:
            async with sessions() as session, session.begin():
                return await SqlTokenStore(session).create(name, role, team, [t.code for t in settings.teams], until)
        finally:
            await db.dispose()

    try:
        token = asyncio.run(create())
    except InvalidInput as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(token)


def token_json(info: TokenInfo) -> dict[str, str | None]:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(timespec="seconds")
    return {"name": info.name, "role": info.role, "team": info.team, "state": info.state(utcnow()),
            "created_at": iso(info.created_at), "expires_at": iso(info.expires_at), "revoked_at": iso(info.revoked_at)}


@tokens_app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """Every token's owner, role, state and dates, one JSON object a line (never the token itself)."""
    for info in in_transaction(ctx.obj, lambda s: SqlTokenStore(s).all()):
        typer.echo(json.dumps(token_json(info)))


@tokens_app.command("revoke")
def revoke_token(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: refused from the next request on, by every server process."""
    info = in_transaction(ctx.obj, lambda s: SqlTokenStore(s).revoke(name, utcnow()))
    typer.echo(f"revoked token {info.name!r}")


@tokens_app.command("rotate")
def rotate_token(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The token's name.")],
                 expires: ExpiresOption = None) -> None:
    """Replace a token with a new one, printed once; the old one stops working at once."""
    settings: Settings = ctx.obj

    async def rotate(session: AsyncSession) -> str:
        until = parse_expiry(expires, utcnow()) if expires else None
        return await SqlTokenStore(session).rotate(name, until)

    typer.echo(in_transaction(settings, rotate))
