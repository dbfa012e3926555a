"""A 200 from the API means the change is stored: a server killed right after answering loses nothing.

The soak found the opposite: the operator was told a reply was sent, the server was killed before the
request's transaction committed, and the user waited for that reply for ever.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, func, select
from starlette.types import Message, Receive, Scope, Send

from core.db import sync_url
from core.settings import Settings
from tests.api.conftest import FileTicket, auth
from tickets.models import OutboxRow


async def test_an_operator_reply_is_stored_before_the_api_says_it_was_sent(
    app: FastAPI, settings: Settings, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    db = create_engine(sync_url(settings.resolved_database_url()))  # another connection, as after a restart
    queued = select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "operator_reply")
    seen_when_answered: list[int] = []

    async def looking_when_answered(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_after_looking(message: Message) -> None:
            if message["type"] == "http.response.start":
                with db.connect() as conn:
                    seen_when_answered.append(conn.scalar(queued) or 0)
            await send(message)

        await app(scope, receive, send_after_looking)

    transport = httpx.ASGITransport(app=looking_when_answered)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as client:
            reply = await client.post(f"/api/tickets/{number}/reply", json={"text": "Please clear the cache."},
                                      headers=auth(tokens["operator"]))
    finally:
        db.dispose()
    assert reply.status_code == 200, reply.text
    assert seen_when_answered == [1]
