"""Building test mails as mail programs send them, and the test's view of the helpdesk's mailbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

from app.services import Services
from bot.email_channel import EmailChannel
from bot.email_imap import Imap
from core.settings import Settings
from tests.email.servers import Captured

_ids = itertools.count(1)


def mail(sender: str, subject: str, body: str, *, to: str = "helpdesk@example.org", name: str = "",
         html: str | None = None, headers: dict[str, str] | None = None, message_id: str | None = None,
         reply_to: EmailMessage | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((name, sender)) if name else sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 02 Dec 2026 10:30:00 +0530"
    message["Message-ID"] = f"<{message_id or f'user-{next(_ids)}'}@mail.example.net>"
    if reply_to is not None:
        ours = str(reply_to["Message-ID"])
        message["In-Reply-To"] = ours
        message["References"] = " ".join(filter(None, [str(reply_to.get("References") or ""), ours]))
    for key, value in (headers or {}).items():
        message[key] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    return message


def quoted(original: EmailMessage) -> str:
    """The original's text as a mail program quotes it below a reply."""
    text = original.get_body(("plain",))
    content = text.get_content() if text is not None else ""
    lines = "\n".join("> " + line for line in content.splitlines())
    return f"On Wed, 2 Dec 2026 at 10:31, MUKTA Helpdesk <helpdesk@example.org> wrote:\n{lines}\n"


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@dataclass
class MailWorld:
    """The helpdesk's side (services, channel), the mailbox it reads, and what its SMTP server took."""

    services: Services
    channel: EmailChannel
    outbox: Captured
    settings: Settings

    @property
    def imap(self) -> Imap:
        return self.channel.imap

    def deliver(self, *messages: EmailMessage | bytes) -> None:
        for message in messages:
            self.imap.append(message if isinstance(message, bytes) else message.as_bytes())

    async def round(self, *messages: EmailMessage | bytes) -> list[EmailMessage]:
        """Deliver mails, let the helpdesk read the mailbox once, and return what it sent meanwhile."""
        before = len(self.outbox.messages)
        self.deliver(*messages)
        await self.channel.fetch_once()
        return self.outbox.messages[before:]


async def operator(world: MailWorld, number: str, action: str, text: str) -> list[EmailMessage]:
    """An operator replies to (or resolves) a ticket from the console; the outbox delivers it by mail."""
    from tickets.delivery import deliver_due
    from tickets.desk import SqlTicketDesk

    async with world.services.sessions() as session, session.begin():
        desk = SqlTicketDesk(session, world.settings, world.services.due)
        if action == "reply":
            await desk.reply(number, "op.asha", text, None)
        else:
            await desk.resolve(number, "op.asha", text, None)
    before = len(world.outbox.messages)
    result = await deliver_due(world.services.sessions, {"email": world.channel.sender()})
    assert not result.dead and not result.retrying, result
    return world.outbox.messages[before:]
