"""The e-mail channel against a real IMAP server (Dovecot) and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from sqlalchemy import select

from bot.email_models import EmailInboxRow
from tests.email.conftest import HELPDESK, tickets
from tests.email.mails import MailWorld, body_of, mail, quoted

USER = "je.jatni@odisha.example"
NO_FAQ = "Screen turns grey after pressing the blue button on the tablet"
FORM = "A 2\nB 1\nC 1\nD 2\nE 1\nF: no"


async def test_a_new_mail_becomes_a_ticket_after_one_reply(world: MailWorld) -> None:
    first = mail(USER, "Tablet problem", NO_FAQ + "\n\nRegards,\nJE Jatni")
    [asked] = await world.round(first)
    text = body_of(asked)
    assert asked["To"] == USER and asked["Auto-Submitted"] == "auto-replied"
    assert asked["In-Reply-To"] == first["Message-ID"] and "A." in text and "F." in text, text
    assert str(asked["Subject"]).startswith("Re: Tablet problem")
    [filed] = await world.round(mail(USER, "Re: Tablet problem", FORM + "\n\n" + quoted(asked), reply_to=asked))
    [ticket] = await tickets(world)
    assert ticket.channel == "email" and ticket.user_id == USER and NO_FAQ in (ticket.description or "")
    assert ticket.role and ticket.ulb == "od.jatni"
    number = str(ticket.number)
    assert f"[{number}]" in str(filed["Subject"]) and number in body_of(filed)


async def test_the_same_mail_seen_twice_files_once(world: MailWorld) -> None:
    first = mail(USER, "Tablet problem", NO_FAQ, message_id="same-1")
    await world.round(first, mail(USER, "Tablet problem", NO_FAQ, message_id="same-1"))
    async with world.services.sessions() as session:
        rows = list(await session.scalars(select(EmailInboxRow)))
    assert len(rows) == 1 and len(world.outbox.messages) == 1
    await world.channel.fetch_once()  # the mailbox read again: nothing new
    assert len(world.outbox.messages) == 1
    assert world.outbox.envelopes[0] == (HELPDESK, [USER])
