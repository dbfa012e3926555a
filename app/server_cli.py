"""`helpdesk serve` and `helpdesk tokens`: the HTTP server and its API tokens."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from telegram import Update
from telegram.error import TelegramError

from app.wiring import MESSAGES_DIR, Services, build_app, build_services
from app.workers import supervise
from bot.telegram import make_bot, set_commands
from core import logmask
from core.db import upgrade
from core.errors import ConfigError
from core.i18n import Catalog
from core.settings import Settings

log = logging.getLogger(__name__)
server_app = typer.Typer()
POLL_TIMEOUT_S = 10  # seconds a getUpdates call waits for news


def services_or_exit(settings: Settings) -> Services:
    """The running system, or exit 2 with every configuration problem (an invalid KB, a bad team...)."""
    try:
        return build_services(settings)
    except ConfigError as err:
        typer.echo(f"helpdesk cannot start:\n{err}", err=True)
        raise typer.Exit(2) from err


class TelegramMode(StrEnum):
    polling = "polling"
    webhook = "webhook"


@server_app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    telegram: Annotated[TelegramMode | None, typer.Option(
        help="Also run the Telegram bot (needs HELPDESK_TELEGRAM_TOKEN): 'polling' long-polls the Bot API; "
             "'webhook' takes updates on POST /telegram/webhook (register it with `helpdesk telegram set-webhook`).",
    )] = None,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes on the one port (one core each); the Telegram bot needs 'webhook' mode "
                    "with more than one, since only one process may poll the Bot API.")] = 1,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are trusted "
             "(so console cookies get Secure behind a TLS proxy); '*' trusts any. Default: $FORWARDED_ALLOW_IPS "
             "or 127.0.0.1.")] = None,
) -> None:
    """Run the HTTP server: operator API, HTTP chat channel, health checks; with --telegram, the bot too."""
    settings: Settings = ctx.obj
    if telegram is not None and not settings.telegram_token:
        typer.echo("error: --telegram needs a bot token: set HELPDESK_TELEGRAM_TOKEN (from BotFather)", err=True)
        raise typer.Exit(2)
    if workers > 1 and telegram == TelegramMode.polling:
        typer.echo("error: --workers > 1 needs --telegram webhook: the Bot API lets one process poll", err=True)
        raise typer.Exit(2)
    listen = Listen(host, port, forwarded_allow_ips)
    if workers == 1:
        _serve_one(settings, listen, telegram, None)
        return
    upgrade(settings.resolved_database_url())  # once, before the workers: two migrating at once would collide
    raise typer.Exit(supervise(partial(_serve_one, settings, listen, telegram), host, port, workers))


@dataclass(frozen=True)
class Listen:
    """Where the server listens, and which proxies in front of it it trusts."""

    host: str
    port: int
    forwarded_allow_ips: str | None = None


def _serve_one(settings: Settings, listen: Listen, telegram: TelegramMode | None,
               sock: socket.socket | None) -> None:
    """One server process, on `sock` if given (a worker of `--workers`), else listening on host:port itself."""
    try:
        services = services_or_exit(settings)
    except typer.Exit as err:  # in a worker process: its exit code tells the supervisor
        raise SystemExit(err.exit_code) from err
    server = masked_server(build_app(services), listen)
    sockets = [sock] if sock is not None else None
    if telegram is None:
        server.run(sockets=sockets)
        return
    asyncio.run(_serve_with_polling(server, services) if telegram == TelegramMode.polling
                else _serve_with_webhook(server, services, sockets))


def masked_server(app: FastAPI, listen: Listen) -> uvicorn.Server:
    """A uvicorn server whose own log lines are masked too: its Config sets up handlers of its own on the
    `uvicorn` loggers, which do not propagate to the root logger's masked ones."""
    server = uvicorn.Server(uvicorn.Config(app, host=listen.host, port=listen.port, log_level="warning",
                                           forwarded_allow_ips=listen.forwarded_allow_ips))
    for name in ("uvicorn", "uvicorn.access"):
        logmask.install(logging.getLogger(name))
    return server


async def _commands(services: Services) -> None:
    """The bot's command menu in English, Odia and Hindi; a failure is logged, the bot runs anyway."""
    try:
        async with make_bot(services.settings) as bot:
            await set_commands(bot, Catalog.load(MESSAGES_DIR))
    except TelegramError as err:
        log.warning("telegram: could not set the command menu: %s", err)


async def _serve_with_webhook(server: uvicorn.Server, services: Services,
                              sockets: list[socket.socket] | None = None) -> None:
    """The HTTP server; its webhook route and inbox worker take the updates (`helpdesk telegram set-webhook`)."""
    await _commands(services)
    await server.serve(sockets=sockets)


async def _serve_with_polling(server: uvicorn.Server, services: Services) -> None:
    """The HTTP server with python-telegram-bot's long polling beside it, in one event loop."""
    assert services.telegram is not None
    await _commands(services)
    bot = services.telegram.adapter.application(services.settings)
    async with bot:
        assert bot.updater is not None
        await bot.updater.start_polling(timeout=POLL_TIMEOUT_S, allowed_updates=Update.ALL_TYPES)
        await bot.start()
        try:
            await server.serve()
        finally:
            await bot.updater.stop()
            await bot.stop()
