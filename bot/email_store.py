"""The e-mail channel's storage, inside the caller's transaction: the mailbox position, the inbox (each mail
once, by Message-ID), senders, and the mails we sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.email_models import EmailContactRow, EmailInboxRow, EmailMailboxRow, EmailSentRow
from core.db import utcnow
from tickets.reports import SqlChannelReports

LEASE = timedelta(minutes=2)
BATCH = 20
ACTOR = "email"
UNREACHABLE = "Mail to the user bounced: messages cannot reach them until they write again."
BACK = "The user wrote again by e-mail: messages reach them."


@dataclass(frozen=True)
class Fetched:
    """A mail as fetched from the mailbox, before it is stored."""

    key: str
    uid: int
    sender: str
    raw_ref: str | None
    size: int
    too_large: bool
    headers: str


@dataclass(frozen=True)
class StoredMail:
    id: int
    key: str
    sender: str
    raw_ref: str | None
    too_large: bool
    headers: str
    attempts: int
    answer: dict[str, Any] | None = None


@dataclass(frozen=True)
class SentMail:
    message_id: str
    address: str
    ticket: str | None
    subject: str
    references: str
    choices: list[dict[str, str]]


class SqlEmail:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> Any:
        return postgresql.insert if self._session.get_bind().dialect.name == "postgresql" else sqlite.insert

    # -- the mailbox and the inbox ---------------------------------------------------------------------
    async def position(self, folder: str) -> tuple[int, int]:
        """(UIDVALIDITY, last UID stored) of the folder; (0, 0) before the first fetch."""
        row = await self._session.get(EmailMailboxRow, folder)
        return (row.uid_validity, row.last_uid) if row else (0, 0)

    async def store(self, folder: str, uid_validity: int, mails: list[Fetched], now: datetime) -> int:
        """Keep fetched mails (each once, whatever UID it had) and move the folder's position past them, in
        one transaction; how many were new."""
        fresh = 0
        for mail in mails:
            statement = (self._insert()(EmailInboxRow)
                         .values(message_key=mail.key, uid=mail.uid, uid_validity=uid_validity, sender=mail.sender,
                                 raw_ref=mail.raw_ref, size=mail.size, too_large=mail.too_large,
                                 headers=mail.headers, received_at=now, due_at=now, attempts=0)
                         .on_conflict_do_nothing().returning(EmailInboxRow.id))
            fresh += (await self._session.execute(statement)).first() is not None
        row = await self._session.get(EmailMailboxRow, folder, with_for_update=True)
        top = max((m.uid for m in mails), default=0)
        if row is None:
            self._session.add(EmailMailboxRow(folder=folder, uid_validity=uid_validity, last_uid=top, updated_at=now))
        elif row.uid_validity != uid_validity:
            row.uid_validity, row.last_uid, row.updated_at = uid_validity, top, now
        elif top > row.last_uid:
            row.last_uid, row.updated_at = top, now
        return fresh

    async def claim(self, now: datetime, limit: int = BATCH) -> list[StoredMail]:
        """Due unprocessed mails in arrival order, leased to this worker."""
        query = (select(EmailInboxRow)
                 .where(EmailInboxRow.processed_at.is_(None), EmailInboxRow.due_at <= now)
                 .order_by(EmailInboxRow.id).limit(limit).with_for_update(skip_locked=True))
        rows = list(await self._session.scalars(query))
        for row in rows:
            row.due_at = now + LEASE
        return [StoredMail(r.id, r.message_key, r.sender, r.raw_ref, r.too_large, r.headers, r.attempts,
                           dict(r.answer) if r.answer is not None else None) for r in rows]

    async def answered(self, stored: StoredMail, answer: dict[str, Any]) -> None:
        """Keep the reply mail of a stored mail before sending it: a retry sends it rather than walking again."""
        await self._session.execute(update(EmailInboxRow).where(EmailInboxRow.id == stored.id).values(answer=answer))

    async def processed(self, stored: StoredMail, outcome: str, error: str | None = None) -> None:
        await self._session.execute(update(EmailInboxRow).where(EmailInboxRow.id == stored.id)
                                    .values(processed_at=utcnow(), outcome=outcome, last_error=error))

    async def failed(self, stored: StoredMail, error: str, retry_at: datetime) -> None:
        await self._session.execute(update(EmailInboxRow).where(EmailInboxRow.id == stored.id)
                                    .values(attempts=stored.attempts + 1, last_error=error[:1000], due_at=retry_at))

    async def mails_from(self, sender: str, since: datetime, up_to: int) -> int:
        """Mails stored from `sender` since `since`, up to inbox id `up_to` (the per-sender rate limit)."""
        query = select(func.count()).select_from(EmailInboxRow).where(
            EmailInboxRow.sender == sender, EmailInboxRow.received_at >= since, EmailInboxRow.id <= up_to)
        return int(await self._session.scalar(query) or 0)

    # -- senders ---------------------------------------------------------------------------------------
    async def contact(self, address: str) -> EmailContactRow:
        row = await self._session.get(EmailContactRow, address, with_for_update=True)
        if row is None:
            row = EmailContactRow(address=address, pending={}, updated_at=utcnow())
            self._session.add(row)
        return row

    async def peek(self, address: str) -> EmailContactRow | None:
        return await self._session.get(EmailContactRow, address)

    async def unreachable(self, address: str) -> bool:
        """Mail to `address` bounced; each of their tickets not closed says so, once. False if unknown."""
        row = await self._session.get(EmailContactRow, address, with_for_update=True)
        if row is None or row.unreachable_at is not None:
            return row is not None
        row.unreachable_at = row.updated_at = utcnow()
        await SqlChannelReports(self._session).unreachable(ACTOR, address, UNREACHABLE)
        return True

    async def reachable(self, address: str) -> None:
        row = await self._session.get(EmailContactRow, address, with_for_update=True)
        if row is not None and row.unreachable_at is not None:
            row.unreachable_at, row.updated_at = None, utcnow()
            await SqlChannelReports(self._session).reachable(ACTOR, address, BACK)

    async def attach(self, number: str, attachment: dict[str, str]) -> None:
        """Add a file to a ticket's attachments (once)."""
        await SqlChannelReports(self._session).attachment(number, attachment)

    # -- what we sent ----------------------------------------------------------------------------------
    async def was_sent(self, message_id: str) -> bool:
        return await self._session.get(EmailSentRow, message_id) is not None

    async def sent(self, sent: SentMail, token: str, outbox_id: int | None) -> None:
        statement = (self._insert()(EmailSentRow)
                     .values(message_id=sent.message_id, token=token, address=sent.address, ticket=sent.ticket,
                             subject=sent.subject, references=sent.references, choices=sent.choices,
                             outbox_id=outbox_id, sent_at=utcnow())
                     .on_conflict_do_nothing())
        await self._session.execute(statement)

    async def thread_of(self, message_ids: tuple[str, ...], token: str | None) -> SentMail | None:
        """Our mail a reply answers: by In-Reply-To / References, else by the body's marker."""
        for message_id in message_ids:
            row = await self._session.get(EmailSentRow, message_id)
            if row is not None:
                return _sent(row)
        if token:
            row = await self._session.scalar(select(EmailSentRow).where(EmailSentRow.token == token))
            if row is not None:
                return _sent(row)
        return None

    async def last_to(self, address: str, ticket: str | None = None) -> SentMail | None:
        """The newest mail we sent to `address` (about `ticket`, when given)."""
        query = select(EmailSentRow).where(EmailSentRow.address == address)
        if ticket is not None:
            query = query.where(EmailSentRow.ticket == ticket)
        row = await self._session.scalar(query.order_by(EmailSentRow.sent_at.desc()).limit(1))
        return _sent(row) if row else None


def _sent(row: EmailSentRow) -> SentMail:
    return SentMail(row.message_id, row.address, row.ticket, row.subject, row.references, list(row.choices or []))
