"""Sending mail into a thread: the replies to a mail, and the outbox's operator replies, resolutions and
notices (the outbox sender of channel "email"). Each mail we send is remembered (its Message-ID, body marker,
ticket and the choices it offered) so that a reply finds its way back."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.email_outgoing import Outgoing, SendError, Smtp, compose
from bot.email_parse import Mail, ticket_in
from bot.email_store import SentMail, SqlEmail
from core.channel import ChatEngine, DeliveryError, OutboxItem
from core.i18n import Catalog
from core.messages import LANGUAGE, Choice, Reply, UserRef, numbered
from core.settings import Settings

CHANNEL = "email"


def base_subject(subject: str) -> str:
    """A subject without its "Re:"/"Fwd:" prefixes and ticket tag."""
    words = subject.strip()
    while True:
        lowered = words.lower()
        for prefix in ("re:", "fw:", "fwd:", "aw:", "sv:"):
            if lowered.startswith(prefix):
                words = words[len(prefix):].strip()
                break
        else:
            if words.startswith("[") and ticket_in(words.split("]", 1)[0] + "]"):
                words = words.split("]", 1)[1].strip()
                continue
            return words


def stored_reply(reply: Reply | None) -> dict[str, Any]:
    """A reply as kept on its inbox row until it is sent."""
    if reply is None:
        return {}
    return {"text": reply.text, "ticket": reply.ticket, "language": reply.meta.get(LANGUAGE, "en"),
            "choices": [{"id": c.id, "label": c.label} for c in reply.choices]}


def kept_reply(answer: dict[str, Any]) -> Reply | None:
    if not answer:
        return None
    choices = tuple(Choice(str(c["id"]), str(c["label"])) for c in answer.get("choices", []))
    return Reply(str(answer["text"]), choices, ticket=answer.get("ticket"), meta={LANGUAGE: str(answer["language"])})


class Mailer:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], catalog: Catalog) -> None:
        self.settings, self.sessions, self.catalog = settings, sessions, catalog
        self.smtp = Smtp(settings.email_smtp_url or "")
        self.address = (settings.email_address or "").lower()

    def render_text(self, reply: Reply, language: str) -> str:
        body = reply.text
        if reply.choices:
            lines = "\n".join(numbered(n, c.label) for n, c in enumerate(reply.choices, 1))
            body += "\n\n" + lines + "\n\n" + self.catalog.text("email.answer_number", language)
        return body

    async def reply_to(self, mail: Mail, reply: Reply, key: str, thread: SentMail | None) -> None:
        """Answer `mail` in its thread (and the ticket's, when the reply or the thread names one)."""
        language = reply.meta.get(LANGUAGE, "en")
        ticket = reply.ticket or (thread.ticket if thread else None) or ticket_in(mail.subject)
        subject = (thread.subject if thread else "") or base_subject(mail.subject) or \
            self.catalog.text("email.subject", language)
        references = [*(thread.references.split() if thread else []), *reversed(mail.in_reply_to)]
        references = list(dict.fromkeys([*references, *([mail.message_id] if mail.message_id else [])]))
        await self.send(mail.sender, ticket, subject, self.render_text(reply, language), key, reply.choices,
                        mail.message_id or None, tuple(references), None)

    async def send(self, to: str, ticket: str | None, subject: str, body: str, key: str,
                   choices: tuple[Choice, ...], in_reply_to: str | None, references: tuple[str, ...],
                   outbox_id: int | None) -> None:
        """Send one mail (at most once per `key`: a retry after a crash finds it sent) and remember it."""
        token = hashlib.sha256(f"{self.address}|{key}".encode()).hexdigest()[:24]
        domain = self.address.rsplit("@", 1)[-1] or "helpdesk.invalid"
        message_id = f"hd.{token}@{domain}"
        async with self.sessions() as session:
            if await SqlEmail(session).was_sent(message_id):
                return
        line = f"[{ticket}] Re: {subject}" if ticket else f"Re: {subject}"
        outgoing = Outgoing(to, line, f"{body}\n\n[ref:{token}]", message_id, in_reply_to, references)
        await self.smtp.send(compose(outgoing, self.address, self.settings.email_display_name))
        offered = [{"id": c.id, "label": c.label} for c in choices]
        sent = SentMail(message_id, to, ticket, subject, " ".join(references), offered)
        async with self.sessions() as session, session.begin():
            await SqlEmail(session).sent(sent, token, outbox_id)


class EmailSender:
    """The outbox sender for channel "email": operator replies, resolutions and notices, in the ticket's
    thread. A user whose mail bounced is not written to; an SMTP 5xx marks them so."""

    def __init__(self, mailer: Mailer, engine: ChatEngine) -> None:
        self._mailer, self._engine = mailer, engine

    async def send(self, item: OutboxItem) -> None:
        mailer, address = self._mailer, item.user_id
        async with mailer.sessions() as session:
            store = SqlEmail(session)
            contact = await store.peek(address)
            if contact is not None and contact.unreachable_at is not None:
                raise DeliveryError("mail to the user bounced", retryable=False)
            number = str(item.payload.get("number") or "") or None
            thread = await store.last_to(address, number) if number else None
            thread = thread or await store.last_to(address)
        reply = await self._engine.render_for(UserRef(CHANNEL, address), item.kind, item.payload)
        language = reply.meta.get(LANGUAGE, "en")
        subject = (thread.subject if thread else "") or mailer.catalog.text("email.subject", language)
        references = tuple([*(thread.references.split() if thread else []), *([thread.message_id] if thread else [])])
        try:
            await mailer.send(address, number or (thread.ticket if thread else None), subject,
                              mailer.render_text(reply, language), f"outbox:{item.id}", reply.choices,
                              thread.message_id if thread else None, references, item.id)
        except SendError as err:
            if err.permanent:
                async with mailer.sessions() as session, session.begin():
                    await SqlEmail(session).unreachable(address)
            raise DeliveryError(str(err), retryable=not err.permanent) from err
