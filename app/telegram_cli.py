"""`helpdesk telegram`: registering the webhook with Telegram."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from telegram.error import TelegramError

from bot.telegram import make_bot
from bot.telegram_webhook import PATH, new_secret, secret_file
from core.settings import Settings

telegram_app = typer.Typer(help="The Telegram bot's registration with Telegram.", no_args_is_help=True)


@telegram_app.command("set-webhook")
def set_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help=f"The public HTTPS address of this server's {PATH}.")],
) -> None:
    """Tell Telegram to post updates to URL, with a newly generated secret the server checks."""
    settings: Settings = ctx.obj
    if not settings.telegram_token:
        typer.echo("error: set HELPDESK_TELEGRAM_TOKEN (from BotFather) first", err=True)
        raise typer.Exit(2)
    secret = new_secret(settings)

    async def register() -> None:
        async with make_bot(settings) as bot:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=["message", "callback_query"])

    try:
        asyncio.run(register())
    except TelegramError as err:
        typer.echo(f"error: Telegram refused setWebhook for {url}: {err}", err=True)
        raise typer.Exit(1) from err
    where = ("HELPDESK_TELEGRAM_WEBHOOK_SECRET" if settings.telegram_webhook_secret
             else f"{secret_file(settings)} (owner-only)")
    typer.echo(f"webhook set to {url}; its secret is in {where}")


@telegram_app.command("delete-webhook")
def delete_webhook(ctx: typer.Context) -> None:
    """Stop webhook delivery (before going back to `serve --telegram polling`)."""
    settings: Settings = ctx.obj
    if not settings.telegram_token:
        typer.echo("error: set HELPDESK_TELEGRAM_TOKEN (from BotFather) first", err=True)
        raise typer.Exit(2)

    async def delete() -> None:
        async with make_bot(settings) as bot:
            await bot.delete_webhook()

    asyncio.run(delete())
    typer.echo("webhook deleted")
