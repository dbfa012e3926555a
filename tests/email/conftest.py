"""Fixtures: one Dovecot per test run (each test its own mailbox user), an SMTP server per test, and the real
e-mail channel pointed at both, with one fixed clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.wiring import build_services
from bot.email_channel import EmailChannel
from core.settings import Settings
from tests.email.mails import MailWorld
from tests.email.servers import DOVECOT, Captured, Dovecot, dovecot, smtp_server
from tickets.models import TicketRow

HELPDESK = "helpdesk@example.org"
_boxes = itertools.count(1)


class FixedClock:
    __test__ = False

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[Dovecot]:
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (Debian's dovecot-imapd; `bash scripts/system-packages.sh`)")
    with dovecot() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[tuple[Captured, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def mail_settings(settings: Settings, imap_server: Dovecot, smtp: tuple[Captured, int]) -> Settings:
    return settings.model_copy(update={
        "email_imap_url": imap_server.url(next(_boxes)), "email_smtp_url": f"smtp://127.0.0.1:{smtp[1]}",
        "email_address": HELPDESK, "email_idle": False, "email_mails_per_sender_hour": 50,
    })


@pytest.fixture
async def world(settings: Settings, mail_settings: Settings, smtp: tuple[Captured, int],
                clock: FixedClock) -> AsyncIterator[MailWorld]:
    services = build_services(settings)  # without mail settings: the test builds the channel with its clock
    channel = EmailChannel(mail_settings, services.sessions, services.engine, clock=clock)
    yield MailWorld(services, channel, smtp[0], mail_settings)
    await services.db.dispose()


async def tickets(world: MailWorld) -> list[TicketRow]:
    async with world.services.sessions() as session:
        return list(await session.scalars(select(TicketRow).order_by(TicketRow.id)))
