"""The WhatsApp channel's storage, inside the caller's transaction: the webhook's inbox, each user's
24-hour window and blocked mark, and the newest status of each message we sent.

What the desk must know it is told through `core.channel.ChannelReports` in the same transaction: an outbox
item's receipt (the least advanced status of the messages that carried it, or failed), and a user who
blocked the business (an `unreachable` event on their open tickets) or wrote again (`reachable`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.whatsapp_models import WhatsAppContactRow, WhatsAppInboxRow, WhatsAppSentRow
from core.channel import RECEIPTS
from core.db import utcnow
from tickets.reports import SqlChannelReports

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
LEASE = timedelta(minutes=2)
BATCH = 20
STATUS_RANK = {status: rank for rank, status in enumerate(RECEIPTS)}  # accepted, sent, delivered, read, failed
BLOCKED_REASON = ("User unreachable on WhatsApp: Meta could not deliver to them (they may have blocked the "
                  "helpdesk's number); nothing more is sent to them until they write again.")
BACK_REASON = "The user wrote on WhatsApp again: messages reach them."


@dataclass(frozen=True)
class StoredMessage:
    id: int
    message_id: str
    wa_id: str
    payload: dict[str, Any]
    attempts: int


def message_time(message: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(message["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


class SqlWhatsApp:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> Any:
        return postgresql.insert if self._session.get_bind().dialect.name == "postgresql" else sqlite.insert

    async def store(self, message: dict[str, Any], contact: dict[str, Any] | None, now: datetime) -> bool:
        """Keep a user's message for the worker; False if it was stored before (a redelivery)."""
        statement = (self._insert()(WhatsAppInboxRow)
                     .values(message_id=str(message["id"]), wa_id=str(message["from"]),
                             payload={"message": message, "contact": contact or {}},
                             received_at=now, due_at=now, attempts=0)
                     .on_conflict_do_nothing().returning(WhatsAppInboxRow.id))
        return (await self._session.execute(statement)).first() is not None

    async def claim(self, now: datetime, limit: int = BATCH) -> list[StoredMessage]:
        """Due unprocessed messages in arrival order, leased to this worker."""
        query = (select(WhatsAppInboxRow)
                 .where(WhatsAppInboxRow.processed_at.is_(None), WhatsAppInboxRow.due_at <= now)
                 .order_by(WhatsAppInboxRow.id).limit(limit).with_for_update(skip_locked=True))
        rows = list(await self._session.scalars(query))
        for row in rows:
            row.due_at = now + LEASE
        return [StoredMessage(r.id, r.message_id, r.wa_id, dict(r.payload), r.attempts) for r in rows]

    async def processed(self, stored: StoredMessage, error: str | None = None) -> None:
        await self._session.execute(update(WhatsAppInboxRow).where(WhatsAppInboxRow.id == stored.id)
                                    .values(processed_at=utcnow(), last_error=error))

    async def failed(self, stored: StoredMessage, error: str, retry_at: datetime) -> None:
        await self._session.execute(update(WhatsAppInboxRow).where(WhatsAppInboxRow.id == stored.id)
                                    .values(attempts=stored.attempts + 1, last_error=error[:1000], due_at=retry_at))

    async def _contact(self, wa_id: str) -> WhatsAppContactRow:
        row = await self._session.get(WhatsAppContactRow, wa_id, with_for_update=True)
        if row is None:
            row = WhatsAppContactRow(wa_id=wa_id)
            self._session.add(row)
        return row

    async def wrote(self, wa_id: str, at: datetime) -> None:
        """The user wrote at `at`: their window opens (again) and they are reachable."""
        row = await self._contact(wa_id)
        if row.last_inbound_at is None or at > row.last_inbound_at:
            row.last_inbound_at = at
        if row.blocked_at is not None:
            row.blocked_at = None
            await SqlChannelReports(self._session).reachable(CHANNEL, wa_id, BACK_REASON)

    async def window_open(self, wa_id: str, now: datetime) -> bool:
        """Whether free-form messages may go to this user now (they wrote within 24 hours, and Meta has not
        said otherwise since)."""
        row = await self._session.get(WhatsAppContactRow, wa_id)
        if row is None or row.last_inbound_at is None or now - row.last_inbound_at >= WINDOW:
            return False
        return row.window_closed_at is None or row.window_closed_at < row.last_inbound_at

    async def window_closed(self, wa_id: str, now: datetime) -> None:
        (await self._contact(wa_id)).window_closed_at = now

    async def blocked(self, wa_id: str, now: datetime) -> None:
        """Meta cannot deliver to the user (131026): marked, and their open tickets say so, once."""
        row = await self._contact(wa_id)
        if row.blocked_at is None:
            row.blocked_at = now
            await SqlChannelReports(self._session).unreachable(CHANNEL, wa_id, BLOCKED_REASON)

    async def hold_files(self, wa_id: str, files: list[dict[str, Any]]) -> None:
        """Keep files for the user's next message (outside the window only a template can go)."""
        row = await self._contact(wa_id)
        row.held_files = [*(row.held_files or []), *files]

    async def held_files(self, wa_id: str) -> list[dict[str, Any]]:
        row = await self._session.get(WhatsAppContactRow, wa_id)
        return list(row.held_files or []) if row else []

    async def release_files(self, wa_id: str, count: int) -> None:
        """The first `count` held files went out."""
        row = await self._contact(wa_id)
        row.held_files = list(row.held_files or [])[count:] or None

    async def is_blocked(self, wa_id: str) -> bool:
        row = await self._session.get(WhatsAppContactRow, wa_id)
        return row is not None and row.blocked_at is not None

    async def sent(self, message_id: str, wa_id: str, outbox_id: int | None, template: str | None) -> None:
        statement = (self._insert()(WhatsAppSentRow)
                     .values(message_id=message_id, wa_id=wa_id, outbox_id=outbox_id, template=template,
                             status="accepted", updated_at=utcnow())
                     .on_conflict_do_update(index_elements=["message_id"],
                                            set_={"outbox_id": outbox_id, "template": template}))
        await self._session.execute(statement)
        if outbox_id is not None:
            await self._report(outbox_id)

    async def sent_free_form(self, outbox_id: int) -> int:
        """How many free-form messages went out for this outbox item already (an earlier attempt's)."""
        query = select(func.count()).where(WhatsAppSentRow.outbox_id == outbox_id, WhatsAppSentRow.template.is_(None))
        return int(await self._session.scalar(query) or 0)

    async def status(self, message_id: str, wa_id: str, status: str, error: str | None) -> None:
        """Record a delivery status; an older status arriving late never replaces a newer one."""
        if status not in STATUS_RANK:
            return
        row = await self._session.get(WhatsAppSentRow, message_id, with_for_update=True)
        if row is None:  # the status came before our own record of the send
            self._session.add(WhatsAppSentRow(message_id=message_id, wa_id=wa_id, status=status, error=error,
                                              updated_at=utcnow()))
        elif STATUS_RANK[status] > STATUS_RANK.get(row.status, 0):
            row.status, row.error, row.updated_at = status, error, utcnow()
            if row.outbox_id is not None:
                await self._session.flush()
                await self._report(row.outbox_id)

    async def _report(self, outbox_id: int) -> None:
        """Tell the desk how far the outbox item got: failed if any of its messages failed, else the least
        advanced status among them (a reply split in two is read when both are)."""
        rows = list(await self._session.execute(
            select(WhatsAppSentRow.status, WhatsAppSentRow.error).where(WhatsAppSentRow.outbox_id == outbox_id)))
        failed = [error for status, error in rows if status == "failed"]
        if failed:
            await SqlChannelReports(self._session).receipt(outbox_id, "failed", failed[0])
        elif rows:
            least = min((status for status, _ in rows), key=lambda status: STATUS_RANK.get(status, 0))
            await SqlChannelReports(self._session).receipt(outbox_id, least)

    async def status_of(self, message_id: str) -> str | None:
        row = await self._session.get(WhatsAppSentRow, message_id)
        return row.status if row else None
