"""Ticket events for integrations (`ticket.created`, `ticket.updated`), raised inside the change's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.sqlite_direct import Prebuilt
from tickets.ticket import Ticket
from tickets.webhooks import enqueue_for_subscribers


async def ticket_event(session: AsyncSession | Prebuilt, event: str, ticket: Ticket) -> None:
    """Queue `event` for every webhook subscribed to it (in the outbox, so it commits with the change).
    Given a Prebuilt on a conversation turn's SQLite connection, the subscribers are read on it directly."""
    await enqueue_for_subscribers(session if isinstance(session, Prebuilt) else Prebuilt(session), event, ticket)
