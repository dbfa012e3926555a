"""Webhook subscriptions and signed deliveries (being built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from tickets.store import Ticket


async def enqueue_for_subscribers(session: AsyncSession, event: str, ticket: Ticket) -> None:
    """Queue one outbox item per active webhook subscribed to `event`."""
