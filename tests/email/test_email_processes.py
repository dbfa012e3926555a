"""The mailbox read by real processes: `helpdesk email fetch-once` killed with SIGKILL between fetching and
committing loses and duplicates nothing; two servers reading one mailbox answer each mail once; `helpdesk
email check` says what is wrong."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.wiring import build_services
from bot.email_channel import EmailChannel
from bot.email_models import EmailInboxRow
from core.settings import Settings
from flows.models import ConversationRow
from tests.email.conftest import FixedClock
from tests.email.mails import MailWorld, mail
from tests.email.test_email_channel import NO_FAQ, USER
from tests.jsonchat import helpdesk_here

TIMEOUT_S = 120


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPDESK_")}
    env.update({
        "HELPDESK_DATABASE_URL": settings.resolved_database_url(), "HELPDESK_DATA_DIR": str(settings.data_dir),
        "HELPDESK_EMAIL_IMAP_URL": settings.email_imap_url or "",
        "HELPDESK_EMAIL_SMTP_URL": settings.email_smtp_url or "",
        "HELPDESK_EMAIL_ADDRESS": settings.email_address or "", "HELPDESK_SEMANTIC": "false", **extra,
    })
    return env


def helpdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


async def inbox(world: MailWorld) -> list[EmailInboxRow]:
    async with world.services.sessions() as session:
        return list(await session.scalars(select(EmailInboxRow)))


async def test_a_fetch_killed_before_its_commit_loses_and_duplicates_nothing(
        world: MailWorld, mail_settings: Settings) -> None:
    world.deliver(mail(USER, "Tablet problem", NO_FAQ), mail("ee.dhenkanal@odisha.example", "Bills", NO_FAQ))
    paused = subprocess.Popen(helpdesk("email", "fetch-once"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env_for(mail_settings, HELPDESK_EMAIL_PAUSE_AT="fetched"))
    try:
        assert paused.stderr is not None
        line = await asyncio.wait_for(asyncio.to_thread(paused.stderr.readline), TIMEOUT_S)
        assert b"paused at fetched" in line, line
        assert await inbox(world) == []  # fetched, not yet committed
        paused.send_signal(signal.SIGKILL)
        assert paused.wait(TIMEOUT_S) == -signal.SIGKILL
    finally:
        if paused.poll() is None:
            paused.kill()
    assert world.outbox.messages == []
    again = subprocess.run(helpdesk("email", "fetch-once"), capture_output=True, env=env_for(mail_settings),
                           timeout=TIMEOUT_S, check=True)
    assert json.loads(again.stdout.splitlines()[-1]) == {"fetched": 2, "answered": 2}
    once_more = subprocess.run(helpdesk("email", "fetch-once"), capture_output=True, env=env_for(mail_settings),
                               timeout=TIMEOUT_S, check=True)
    assert json.loads(once_more.stdout.splitlines()[-1]) == {"fetched": 0, "answered": 0}
    rows = await inbox(world)
    assert len(rows) == 2 and all(row.outcome == "answered" for row in rows)
    assert sorted(to for _, [to] in world.outbox.envelopes) == sorted([USER, "ee.dhenkanal@odisha.example"])


async def test_two_servers_reading_one_mailbox_answer_each_mail_once(
        world: MailWorld, settings: Settings, mail_settings: Settings, clock: FixedClock) -> None:
    other = build_services(settings)
    try:
        second = EmailChannel(mail_settings, other.sessions, other.engine, clock=clock)
        world.deliver(*(mail(f"user{n}@odisha.example", "Tablet", NO_FAQ) for n in range(4)))
        await asyncio.gather(world.channel.fetch_once(), second.fetch_once())
        await asyncio.gather(world.channel.fetch_once(), second.fetch_once())
    finally:
        await other.db.dispose()
    assert sorted(to for _, [to] in world.outbox.envelopes) == [f"user{n}@odisha.example" for n in range(4)]
    async with world.services.sessions() as session:
        assert len(list(await session.scalars(select(ConversationRow)))) == 4


def test_check_names_what_is_wrong(mail_settings: Settings, tmp_path: Path) -> None:
    # run in this process (tests.jsonchat.helpdesk_here): what the command says is checked, not its process
    good = helpdesk_here(env_for(mail_settings), "email", "check")
    assert good.exit_code == 0, good.output
    assert "ok   imap" in good.stdout and "IDLE" in good.stdout and "ok   smtp" in good.stdout
    wrong = mail_settings.email_imap_url.replace("secret-for-tests", "wrong") if mail_settings.email_imap_url else ""
    bad = helpdesk_here(env_for(mail_settings, HELPDESK_EMAIL_IMAP_URL=wrong, HELPDESK_EMAIL_ADDRESS=""),
                        "email", "check")
    assert bad.exit_code == 1
    assert "fail settings: HELPDESK_EMAIL_ADDRESS is not set" in bad.stdout and "fail imap" in bad.stdout
    assert "wrong" not in bad.stdout  # never the password
