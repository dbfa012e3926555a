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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.messages import Inbound, Reply, UserRef

if TYPE_CHECKING:
    from fastapi import APIRouter

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

    async def render_for(self, user: UserRef, kind: str, payload: dict[str, Any]) -> Reply:
        """An outbox item as this user sees it, in their language, with its choices (push channels)."""
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


class OutboxSender(Protocol):
    """Delivers one outbox item of its channel, or raises `tickets.delivery.DeliveryError`."""

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
