"""`helpdesk serve` and `helpdesk tokens`: the HTTP server and its API tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from api.tokens import ROLES, SqlTokenStore
from app.wiring import Services, build_app, build_services, open_database
from core.errors import ConfigError, InvalidInput
from core.settings import Settings

server_app = typer.Typer()


def services_or_exit(settings: Settings) -> Services:
    """The running system, or exit 2 with every configuration problem (an invalid KB, a bad team...)."""
    try:
        return build_services(settings)
    except ConfigError as err:
        typer.echo(f"helpdesk cannot start:\n{err}", err=True)
        raise typer.Exit(2) from err
tokens_app = typer.Typer(help="API tokens for operators, tier teams, KB maintainers and admins.",
                         no_args_is_help=True)


@server_app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP server: operator API, HTTP chat channel, health checks."""
    services = services_or_exit(ctx.obj)
    uvicorn.run(build_app(services), host=host, port=port, log_level="warning")


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
