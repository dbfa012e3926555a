"""Ticket events for integrations (`ticket.created`, `ticket.updated`), raised inside the change's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Tx
from tickets.ticket import Ticket
from tickets.webhooks import enqueue_for_subscribers


async def ticket_event(tx: Tx | AsyncSession, event: str, ticket: Ticket) -> None:
    """Queue `event` for every webhook subscribed to it (in the outbox, so it commits with the change)."""
    await enqueue_for_subscribers(Tx.of(tx), event, ticket)
