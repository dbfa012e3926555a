"""The channel contract: the one seam between a channel (Telegram, web chat, voice, e-mail, WhatsApp...) and
the rest of the helpdesk.

A channel adapter turns a native event into an `Inbound`, calls `ChatEngine.handle`, and renders the
`Reply`s it gets back as well as its channel can (buttons or lists where it has them, numbered text or
keypad digits where it has not). It never touches ticket tables. What operators send later reaches the
user through the outbox: the delivery worker hands each item of the channel to its `OutboxSender`, which
asks the engine how the item reads for that user (`ChatEngine.render_for`) and sends it.

A push channel (one the server must run something for: a webhook route, an inbox worker, an outbox sender)
is a `PushChannel`; `app.wiring` builds the configured ones and `helpdesk serve` mounts their routers, runs
their loops and registers their senders under their `name`.

What a channel learns after sending (a receipt: WhatsApp's delivered and read; a user who blocked the
business or the bot) it tells the desk through `ChannelReports`, in its own transaction; the ticket page and
the API show it. That is how a channel writes to a ticket: never through the ticket tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.messages import Inbound, Reply, UserRef, Waiting

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.ext.asyncio import AsyncSession

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A background job of a channel: runs until the event is set."""


class ChatEngine(Protocol):
    """What a channel adapter may ask of the conversation engine (`flows.engine.Engine` implements it)."""

    async def handle(self, inbound: Inbound, *, replay: bool = False) -> list[Reply]:
        """Apply one event and return the bot's answers; a repeated `message_id` changes nothing."""
        ...

    async def pending(self, user: UserRef) -> list[Reply]:
        """Helpdesk messages waiting for this user (pull channels take them between messages)."""
        ...

    async def current_question(self, user: UserRef) -> list[Reply]:
        """The question the user's conversation waits on (for a channel that reconnects)."""
        ...

    async def state_of(self, user: UserRef) -> str | None:
        """The state the user's conversation waits in, or None for a user never seen."""
        ...

    async def waiting_for(self, user: UserRef) -> Waiting:
        """What the user's conversation waits for (a greeting for a user never seen)."""
        ...

    async def render_for(self, user: UserRef, kind: str, payload: dict[str, Any]) -> Reply:
        """An outbox item as this user sees it, in their language, with its choices (push channels)."""
        ...

    def event_keys(self, session: AsyncSession) -> EventKeys:
        """The keys of events a channel acts on itself, recorded in the caller's transaction."""
        ...


class EventKeys(Protocol):
    """Where a channel records the keys of events it handles without the engine (the operators' group's
    messages), in the same transaction as their effects: a retried event is applied once."""

    async def claim_event(self, user: UserRef, message_id: str) -> bool:
        """Record the event's key; False when it was recorded already (the event is a repeat)."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting to be delivered to a user (or to a webhook, JIRA...) through its channel."""

    id: int
    channel: str
    user_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


RECEIPTS = ("accepted", "sent", "delivered", "read", "failed")
"""What a channel may report of an outbox item it delivered, in the order they happen: a report arriving late
never replaces a later one (read never goes back to delivered)."""


class ChannelReports(Protocol):
    """What a channel tells the desk about its messages and users (`tickets.reports.SqlChannelReports`)."""

    async def receipt(self, outbox_id: int, status: str, error: str | None = None) -> bool:
        """The outbox item's newest receipt (one of RECEIPTS); False if it was not newer than the one kept."""
        ...

    async def unreachable(self, channel: str, user_id: str, reason: str) -> int:
        """The user cannot be reached on the channel: each of their tickets not closed says so; how many."""
        ...

    async def reachable(self, channel: str, user_id: str, reason: str) -> int:
        """The user can be reached again (they wrote): their tickets not closed say so, and the items given up
        on meanwhile go out again; how many tickets."""
        ...

    async def attachment(self, number: str, attachment: dict[str, str]) -> bool:
        """A stored file (its reference, name and type) belongs to the ticket; False if it already had it."""
        ...


class DeliveryError(Exception):
    """A send failed; `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class OutboxSender(Protocol):
    """Delivers one outbox item of its channel, or raises `DeliveryError`."""

    async def send(self, item: OutboxItem) -> None: ...


class PushChannel(Protocol):
    """A channel the server runs: its HTTP routes, its background loops, its outbox sender."""

    name: str

    def router(self) -> APIRouter | None: ...

    def loops(self) -> list[Loop]: ...

    def sender(self) -> OutboxSender: ...

    async def close(self) -> None:
        """Release what the sender and loops opened (HTTP clients); called once when the server stops."""
        ...
