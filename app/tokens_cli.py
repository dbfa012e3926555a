"""`helpdesk tokens list|revoke|rotate`: an API token's life after `helpdesk tokens create`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from api.tokens import SqlTokenStore, TokenInfo
from app.db_run import in_transaction
from app.server_cli import tokens_app
from core.db import utcnow
from core.expiry import parse_expiry
from core.settings import Settings

ExpiresOption = Annotated[str | None, typer.Option(
    "--expires", help="When the token stops working: a span (30d, 12h, 90m) or a date (2027-03-31).")]


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
