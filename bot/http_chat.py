"""The HTTP chat channel: the same JSON as `helpdesk chat --json`, one event per request.

For the web chat page and for integrations (a chat widget in the employee portal). Each caller has a
channel key from configuration (HELPDESK_CHANNEL_KEYS='{"portal": "<secret>"}'); its users are
namespaced by the key's name, so one integration never reads or writes another's conversations.
"""

# No `from __future__ import annotations` here: the routes are closures, and FastAPI must see their
# annotations as objects, not as strings it would try to resolve in module globals.
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request

from bot.protocol import BadMessage, parse_message, reply_json
from core.channel import ChatEngine
from core.chat_limits import ChatLimits, ChatRefusal
from core.messages import UserRef
from core.settings import Settings

CHANNEL = "http"


def refused(refusal: ChatRefusal) -> HTTPException:
    """A chat limit's 429: `{"error": "rate_limited", ...}` with Retry-After."""
    return HTTPException(429, refusal.message(), headers={"Retry-After": str(refusal.retry_after_s)})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def chat_router(engine: ChatEngine, settings: Settings, limits: ChatLimits) -> APIRouter:
    router = APIRouter(prefix="/chat", tags=["chat"])

    async def integration(key: Annotated[str | None, Header(alias="X-Channel-Key")] = None) -> str:
        """The name of the integration whose channel key was sent (compared in constant time)."""
        if key is None:
            raise HTTPException(401, "X-Channel-Key header is required")
        found = None
        for name, secret in settings.channel_keys.items():
            if hmac.compare_digest(key.encode(), secret.encode()):
                found = name
        if found is None:
            raise HTTPException(401, "X-Channel-Key is not a known channel key")
        return found

    Integration = Annotated[str, Depends(integration)]

    @router.post("/messages")
    async def post_message(who: Integration, message: Annotated[Any, Body()], request: Request) -> dict[str, Any]:
        """One message from a user; the answer holds the bot's replies and any helpdesk messages for them.
        A 429 says a chat limit (per client address or overall) was reached."""
        try:
            inbound = parse_message(message, CHANNEL, user_prefix=f"{who}:")
        except BadMessage as err:
            raise HTTPException(422, str(err)) from err
        address = client_address(request)
        if refusal := await limits.refusal("message", address):
            raise refused(refusal)
        if await engine.state_of(inbound.user) is None and (refusal := await limits.refusal("conversation", address)):
            raise refused(refusal)
        replies = await engine.handle(inbound, replay=True)  # a retried id gets its first answer again
        return reply_json(replies, await engine.state_of(inbound.user))

    @router.get("/messages")
    async def poll(who: Integration, user: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
        """Helpdesk messages waiting for a user (poll between their messages)."""
        ref = UserRef(CHANNEL, f"{who}:{user}")
        return reply_json(await engine.pending(ref), await engine.state_of(ref))

    return router
