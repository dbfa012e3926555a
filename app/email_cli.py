"""`helpdesk email check|fetch-once`: the mailbox and mail server settings checked, and one pass over the
mailbox (fetch, answer) without the server."""

from __future__ import annotations

import asyncio
import os
import sys

import typer

from core.settings import Settings

email_app = typer.Typer(help="The e-mail channel (IMAP in, SMTP out).", no_args_is_help=True)

PAUSE_VARIABLE = "HELPDESK_EMAIL_PAUSE_AT"  # tests: stop the process at a named point (bot.email_channel.Pause)


@email_app.command("check")
def check(ctx: typer.Context) -> None:
    """Check the settings, log in to the mailbox and greet the SMTP server; one line each."""
    settings: Settings = ctx.obj
    lines = asyncio.run(_check(settings))
    for line in lines:
        typer.echo(line)
    raise typer.Exit(1 if any(line.startswith("fail") for line in lines) else 0)


async def _check(settings: Settings) -> list[str]:
    import aiosmtplib

    from bot.email_imap import Imap, MailboxError, endpoint
    from bot.email_outgoing import SMTP_SCHEMES

    lines = [f"fail settings: {name} is not set" for name, value in (
        ("HELPDESK_EMAIL_IMAP_URL", settings.email_imap_url), ("HELPDESK_EMAIL_SMTP_URL", settings.email_smtp_url),
        ("HELPDESK_EMAIL_ADDRESS", settings.email_address)) if not value]
    if settings.email_address and "@" not in settings.email_address:
        lines.append("fail settings: HELPDESK_EMAIL_ADDRESS is not an address")
    if settings.email_imap_url:
        try:
            imap = Imap(settings.email_imap_url)
            messages, validity, idle = await asyncio.to_thread(imap.check)
            lines.append(f"ok   imap: logged in to {imap.endpoint.host}, folder {imap.folder}: {messages} message(s), "
                         f"UIDVALIDITY {validity}, " + ("IDLE: new mail is answered at once" if idle else
                                                        "no IDLE: polled every HELPDESK_EMAIL_POLL_SECONDS"))
        except ValueError as err:
            lines.append(f"fail imap: HELPDESK_EMAIL_IMAP_URL: {err}")
        except MailboxError as err:
            lines.append(f"fail imap: {err} (host, port, user and password right? Gmail/Outlook: an app password)")
    if settings.email_smtp_url:
        try:
            point = endpoint(settings.email_smtp_url, SMTP_SCHEMES)
            tls = point.scheme == "smtps"
            client = aiosmtplib.SMTP(hostname=point.host, port=point.port, use_tls=tls, timeout=20,
                                     start_tls=None if tls or point.loopback else True)
            async with client:
                if point.user:
                    await client.login(point.user, point.password)
            lines.append(f"ok   smtp: {point.host}:{point.port} " + ("accepted the login" if point.user else
                                                                     "answered (no login configured)"))
        except ValueError as err:
            lines.append(f"fail smtp: HELPDESK_EMAIL_SMTP_URL: {err}")
        except (aiosmtplib.SMTPException, OSError) as err:
            lines.append(f"fail smtp: {type(err).__name__}: {err}")
    return lines


@email_app.command("fetch-once")
def fetch_once(ctx: typer.Context) -> None:
    """Read the mailbox once: store new mail, answer what is waiting, and print how many."""
    import json

    from app.server_cli import services_or_exit
    from bot.email_channel import EmailChannel

    settings: Settings = ctx.obj
    if not (settings.email_imap_url and settings.email_smtp_url and settings.email_address):
        typer.echo("error: set HELPDESK_EMAIL_IMAP_URL, HELPDESK_EMAIL_SMTP_URL and HELPDESK_EMAIL_ADDRESS "
                   "(`helpdesk email check`)", err=True)
        raise typer.Exit(2)
    services = services_or_exit(settings)
    pause_at = os.environ.get(PAUSE_VARIABLE)

    async def pause(point: str) -> None:
        if point == pause_at:
            print(f"paused at {point}", file=sys.stderr, flush=True)
            await asyncio.Event().wait()  # until the test kills the process

    async def run() -> tuple[int, int]:
        channel = EmailChannel(settings, services.sessions, services.engine, pause=pause)
        try:
            return await channel.fetch_once()
        finally:
            await services.db.dispose()

    fetched, answered = asyncio.run(run())
    typer.echo(json.dumps({"fetched": fetched, "answered": answered}))
