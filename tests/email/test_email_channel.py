"""The e-mail channel against a real IMAP server (Dovecot) and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

from sqlalchemy import select

from app.wiring import build_services
from bot.email_channel import EmailChannel
from bot.email_models import EmailInboxRow
from bot.email_outgoing import Smtp
from core.settings import Settings
from tests.email.conftest import HELPDESK, FixedClock, tickets
from tests.email.mails import MailWorld, body_of, mail, operator, quoted
from tests.email.servers import free_port
from tickets.delivery import deliver_due
from tickets.desk import SqlTicketDesk
from tickets.models import DeflectionRow, TicketMessageRow, TicketRow

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


async def file_ticket(world: MailWorld, user: str = USER) -> tuple[str, EmailMessage]:
    [asked] = await world.round(mail(user, "Tablet problem", NO_FAQ))
    [filed] = await world.round(mail(user, "Re: Tablet problem", FORM + "\n\n" + quoted(asked), reply_to=asked))
    [ticket] = await tickets(world)
    return str(ticket.number), filed


async def test_an_faq_answered_mail_is_a_deflection(world: MailWorld) -> None:
    [asked] = await world.round(mail(USER, "Password", "I forgot my password and cannot log in"))
    [offer] = await world.round(mail(USER, "Re: Password", "A 2\nB 1\n\n" + quoted(asked), reply_to=asked))
    assert "password" in body_of(offer).lower() and "1." in body_of(offer), body_of(offer)
    [thanks] = await world.round(mail(USER, "Re: Password", "1\n\n" + quoted(offer), reply_to=offer))
    async with world.services.sessions() as session:
        deflections = list(await session.scalars(select(DeflectionRow)))
    assert len(deflections) == 1 and deflections[0].user_id == USER
    assert await tickets(world) == [] and "[HD-" not in str(thanks["Subject"])


async def test_an_operator_reply_arrives_threaded_and_the_answer_lands_on_the_ticket(world: MailWorld) -> None:
    number, filed = await file_ticket(world)
    [question] = await operator(world, number, "reply", "Which tablet model is it?")
    assert str(question["Subject"]).startswith(f"[{number}]") and "Which tablet model is it?" in body_of(question)
    assert question["In-Reply-To"] == filed["Message-ID"] and str(filed["Message-ID"]) in str(question["References"])
    assert re.search(r"\[ref:[0-9a-f]{24}\]", body_of(question)) and question["Auto-Submitted"] == "auto-replied"
    # the user's client rewrote the thread headers away: the subject tag and body marker still find the ticket
    answer = mail(USER, f"Re: [{number}] Tablet problem", "It is a Lenovo M10.\n\n" + quoted(question))
    await world.round(answer)
    async with world.services.sessions() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.number == number))
        assert ticket is not None
        messages = list(await session.scalars(select(TicketMessageRow).where(TicketMessageRow.ticket_id == ticket.id)))
    from_user = [m.text for m in messages if m.kind != "reply"]
    assert any(text == "It is a Lenovo M10." for text in from_user), from_user
    assert not any("Which tablet model" in text for text in from_user)  # the quoted part is cut off
    assert any(a.get("name") == "original-mail.eml" for a in ticket.attachments)


async def test_a_reply_to_a_resolved_ticket_reopens_it(world: MailWorld) -> None:
    number, _ = await file_ticket(world)
    [resolution] = await operator(world, number, "resolve", "The tablet needed an update.")
    assert f"[{number}]" in str(resolution["Subject"]) and "2." in body_of(resolution)
    await world.round(mail(USER, f"Re: [{number}] Tablet problem", "2\n\n" + quoted(resolution),
                           reply_to=resolution))
    async with world.services.sessions() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.number == number))
    assert ticket is not None and ticket.status != "resolved" and ticket.status == "reopened"


async def test_the_server_loops_answer_new_mail_announced_by_idle(world: MailWorld, mail_settings: Settings) -> None:
    world.channel.settings = mail_settings.model_copy(update={"email_idle": True, "email_poll_seconds": 60.0})
    stop = asyncio.Event()
    loops = [asyncio.create_task(loop(stop)) for loop in world.channel.loops()]
    try:
        await asyncio.sleep(1.0)  # the watcher is waiting in IDLE by now; a poll would come only after 60 s
        await asyncio.to_thread(world.deliver, mail(USER, "Tablet problem", NO_FAQ))
        for _ in range(300):
            if world.outbox.messages:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), 60)
    [asked] = world.outbox.messages
    assert asked["To"] == USER


async def test_no_mail_goes_to_a_user_whose_mail_bounced(world: MailWorld) -> None:
    number, _ = await file_ticket(world)
    from tests.email.test_email_content import bounce

    await world.round(bounce(USER))
    async with world.services.sessions() as session, session.begin():
        await SqlTicketDesk(session, world.settings, world.services.due).reply(number, "op.asha", "Hello?", None)
    result = await deliver_due(world.services.sessions, {"email": world.channel.sender()})
    assert result.dead and not result.delivered and len(world.outbox.messages) == 2


async def test_a_reply_in_a_tickets_thread_is_added_to_that_ticket(world: MailWorld) -> None:
    number, filed = await file_ticket(world)
    [added] = await world.round(mail(USER, f"Re: [{number}] Tablet problem",
                                     "The second tablet does the same.\n\n" + quoted(filed), reply_to=filed))
    assert number in body_of(added) and f"[{number}]" in str(added["Subject"])
    async with world.services.sessions() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.number == number))
        assert ticket is not None
        texts = [m.text for m in await session.scalars(
            select(TicketMessageRow).where(TicketMessageRow.ticket_id == ticket.id))]
    assert "The second tablet does the same." in texts, texts


async def test_serve_reads_the_mailbox_when_mail_is_configured(mail_settings: Settings) -> None:
    services = build_services(mail_settings)
    try:
        [channel] = [c for c in services.channels if c.name == "email"]
        assert isinstance(channel, EmailChannel) and len(channel.loops()) == 2
    finally:
        await services.db.dispose()


async def test_a_mail_that_already_says_enough_is_filed_at_once(world: MailWorld) -> None:
    [filed] = await world.round(mail(USER, "Tablet problem", f"Hello,\n\n{NO_FAQ}\n\n{FORM}\n\nRegards"))
    [ticket] = await tickets(world)
    assert f"[{ticket.number}]" in str(filed["Subject"]) and NO_FAQ in (ticket.description or "")
    assert "A 2" not in (ticket.description or "")


async def test_a_reply_that_could_not_be_sent_goes_later_and_files_nothing_twice(
        world: MailWorld, clock: FixedClock) -> None:
    [asked] = await world.round(mail(USER, "Tablet problem", NO_FAQ))
    working = world.channel.mailer.smtp
    world.channel.mailer.smtp = Smtp(f"smtp://127.0.0.1:{free_port()}")  # the mail server is away
    assert await world.round(mail(USER, "Re: Tablet problem", FORM + "\n\n" + quoted(asked), reply_to=asked)) == []
    [ticket] = await tickets(world)
    world.channel.mailer.smtp = working
    clock.advance(seconds=30)
    await world.channel.drain()
    [filed] = world.outbox.messages[1:]
    assert f"[{ticket.number}]" in str(filed["Subject"]) and len(await tickets(world)) == 1
    await world.channel.fetch_once()
    assert len(world.outbox.messages) == 2
