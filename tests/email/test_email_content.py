"""What the e-mail channel reads from mail and what it leaves unanswered: automatic mail, bounces, charsets
(Odia in headers declared Windows-1252, Hindi), HTML-only mail, size and rate limits."""

from __future__ import annotations

import quopri
import re

import pytest
from sqlalchemy import select

from app.cleanup import referenced_attachments
from bot.email_models import EmailContactRow, EmailInboxRow
from core.settings import Settings
from tests.email.conftest import FixedClock, tickets
from tests.email.mails import MailWorld, body_of, mail, quoted
from tests.email.test_email_channel import FORM, NO_FAQ, USER, file_ticket
from tickets.models import TicketEventRow

ODIA_SUBJECT = "ବିଲ୍ ଅପଲୋଡ୍ ହେଉନାହିଁ"
ODIA_BODY = "ବିଲ୍ ଅପଲୋଡ୍ କଲେ ସର୍ଭର ତ୍ରୁଟି ଦେଖାଉଛି। ସ୍କ୍ରିନସଟ ସଂଲଗ୍ନ।"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def outcomes(world: MailWorld) -> list[str | None]:
    async with world.services.sessions() as session:
        return [row.outcome for row in await session.scalars(select(EmailInboxRow).order_by(EmailInboxRow.id))]


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"Precedence": "list"}, {"Precedence": "junk"},
    {"X-Auto-Response-Suppress": "All"},
])
async def test_an_automatic_mail_gets_no_answer(world: MailWorld, headers: dict[str, str]) -> None:
    sent = await world.round(mail(USER, "Out of office", "I am away until Monday.", headers=headers))
    assert sent == [] and await outcomes(world) == ["automatic"]


async def test_mail_from_the_mailer_daemon_gets_no_answer(world: MailWorld) -> None:
    assert await world.round(mail("MAILER-DAEMON@mail.example.net", "Undelivered", "Could not deliver.")) == []


def bounce(to: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mail.example.net>\r\n"
        "To: helpdesk@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n"
    ).encode()


async def test_a_bounce_marks_the_user_unreachable_and_gets_no_answer(world: MailWorld) -> None:
    number, _ = await file_ticket(world)
    sent = len(world.outbox.messages)
    assert await world.round(bounce(USER)) == []
    async with world.services.sessions() as session:
        contact = await session.get(EmailContactRow, USER)
        events = [e.action for e in await session.scalars(select(TicketEventRow))]
    assert contact is not None and contact.unreachable_at is not None and "unreachable" in events
    assert len(world.outbox.messages) == sent and number


def odia_in_windows_1252() -> bytes:
    """An Odia mail whose client declared Windows-1252 for UTF-8 text: RFC 2047 subject, body, file name."""
    def word(text: str) -> str:  # encoded words of at most 75 characters, spaces inside them (as "_")
        words, chunk = [], ""
        for char in text:
            if len(quopri.encodestring((chunk + char).encode(), header=True)) > 50:
                words.append(chunk)
                chunk = ""
            chunk += char
        encoded = [quopri.encodestring(w.encode(), header=True).decode() for w in [*words, chunk]]
        return "\r\n ".join(f"=?windows-1252?Q?{e}?=" for e in encoded)
    subject = word(ODIA_SUBJECT)
    body = quopri.encodestring(ODIA_BODY.encode()).decode()
    return (
        f"From: {word('ସୁରେଶ')} <suresh.je@odisha.example>\r\nTo: helpdesk@example.org\r\n"
        f"Subject: {subject}\r\nMessage-ID: <odia-1@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b2"\r\n\r\n'
        "--b2\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{body}\r\n"
        "--b2\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{word("ତ୍ରୁଟି.png")}"\r\n\r\n'
        "iVBORw0KGgoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\r\n--b2--\r\n"
    ).encode()


async def test_an_odia_mail_in_windows_1252_headers_with_a_screenshot_is_read_right(world: MailWorld) -> None:
    [asked] = await world.round(odia_in_windows_1252())
    assert ("ବିଲ୍" in str(asked["Subject"]) and "ଭୂମିକା" in body_of(asked)) or "A." in body_of(asked)
    assert any("\u0b00" <= ch <= "\u0b7f" for ch in body_of(asked))  # answered in Odia
    async with world.services.sessions() as session:  # the screenshot waits for the answers; clean-up keeps it
        contact = await session.get(EmailContactRow, "suresh.je@odisha.example")
        assert contact is not None
        [[ref, _, name]] = contact.pending["attachments"]
        assert name == "ତ୍ରୁଟି.png" and ref in await referenced_attachments(session)
    [offer] = await world.round(mail("suresh.je@odisha.example", f"Re: {ODIA_SUBJECT}",
                                     FORM + "\n\n" + quoted(asked), reply_to=asked))
    none_of_these = re.findall(r"^(\d+)\. ", body_of(offer), re.MULTILINE)[-1]  # the FAQ first; none helps
    await world.round(mail("suresh.je@odisha.example", f"Re: {ODIA_SUBJECT}", none_of_these, reply_to=offer))
    [ticket] = await tickets(world)
    assert ODIA_SUBJECT in (ticket.description or "") and ODIA_BODY in (ticket.description or "")
    assert ticket.language == "or"
    [screenshot] = [a for a in ticket.attachments if a.get("name") != "original-mail.eml"]
    assert screenshot["name"] == "ତ୍ରୁଟି.png" and screenshot["kind"] == "image"


async def test_a_hindi_mail_is_answered_in_hindi(world: MailWorld) -> None:
    [asked] = await world.round(mail("ee.dhenkanal@odisha.example", "ट्रैक्टर का रंग", "ट्रैक्टर का रंग बदलना है"))
    assert any("\u0900" <= ch <= "\u097f" for ch in body_of(asked)) and "A." in body_of(asked)


async def test_an_html_only_mail_is_read_as_text(world: MailWorld) -> None:
    html = ("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            f"<p>{NO_FAQ}</p><p>Thanks,<br>JE</p></body></html>")
    [asked] = await world.round(mail(USER, "Tablet", "", html=html))
    await world.round(mail(USER, "Re: Tablet", FORM, reply_to=asked))
    [ticket] = await tickets(world)
    description = ticket.description or ""
    assert NO_FAQ in description and not any(junk in description for junk in ("<p>", "alert", "color"))


async def test_a_too_large_mail_is_refused_politely_in_the_senders_language(
        world: MailWorld, mail_settings: Settings) -> None:
    world.channel.settings = mail_settings.model_copy(update={"email_max_bytes": 2000})
    big = mail("ee.dhenkanal@odisha.example", "बिल अपलोड नहीं हो रहा", "देखें संलग्न फ़ाइल")
    big.add_attachment(b"\x00" * 5000, maintype="application", subtype="pdf", filename="bill.pdf")
    [refusal] = await world.round(big)
    assert "MB" in body_of(refusal) and any("\u0900" <= ch <= "\u097f" for ch in body_of(refusal))
    assert await outcomes(world) == ["too_large"] and await tickets(world) == []


async def test_a_sender_over_the_hourly_limit_gets_one_notice_then_silence(
        world: MailWorld, mail_settings: Settings, clock: FixedClock) -> None:
    world.channel.settings = mail_settings.model_copy(update={"email_mails_per_sender_hour": 2})
    sent = await world.round(*(mail(USER, f"Problem {n}", NO_FAQ) for n in range(5)))
    assert len(sent) == 3 and "hour" in body_of(sent[-1])  # two answers, one notice, then nothing
    assert (await outcomes(world)).count("rate_limited") == 3
    clock.advance(hours=2)
    assert len(await world.round(mail(USER, "Later", "status"))) == 1


async def test_a_mail_in_another_script_switches_the_conversations_language(world: MailWorld) -> None:
    number, filed = await file_ticket(world)
    [answered] = await world.round(mail(USER, f"Re: [{number}] Tablet problem", "ଟାବଲେଟ୍ ପୁଣି ବନ୍ଦ ହୋଇଗଲା।\n\n"
                                        + quoted(filed), reply_to=filed))
    assert any("\u0b00" <= ch <= "\u0b7f" for ch in body_of(answered).replace("ଟାବଲେଟ୍", ""))
    assert number in body_of(answered)
