"""The WhatsApp channel against our fake Cloud API: a whole conversation by buttons and lists, redeliveries
filing once, retried deliveries, signatures, the 24-hour window and its templates, photos and their expiring
URLs, statuses, throughput errors, and the Graph API calls a whole conversation costs."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.whatsapp_api import GraphError
from bot.whatsapp_models import WhatsAppSentRow
from bot.whatsapp_store import SqlWhatsApp
from bot.whatsapp_webhook import webhook_router
from core.channel import OutboxItem
from core.settings import Settings
from tests.whatsapp.conftest import VERIFY_TOKEN, WhatsApp
from tests.whatsapp.fake_cloud_api import FakeCloudApi, TestClock
from tickets.delivery import DeliveryError
from tickets.models import TicketRow

USER = "919437000001"


async def say(wa: WhatsApp, fake: FakeCloudApi, *messages: dict[str, Any]) -> list[str]:
    """Deliver the messages in one webhook call, let the worker answer, and return what the users saw since."""
    before = len(fake.sent)
    assert await fake.push(wa.webhook, fake.delivery(list(messages))) == [200]
    await wa.channel.drain()
    return [s.message.get("text", {}).get("body") or s.message.get("interactive", {}).get("body", {}).get("text", "")
            for s in fake.sent[before:]]


async def walk_to_confirm(wa: WhatsApp, fake: FakeCloudApi, user: str = USER) -> None:
    await say(wa, fake, fake.text(user, "hi"))
    for words in ("English", "Junior", "Jatni"):
        await say(wa, fake, fake.tap(user, words))
    await say(wa, fake, fake.text(user, "The attendance page shows an error and the muster roll total is wrong"))
    if any("not my problem" in (r["reply"]["title"] if "reply" in r else r["title"]).lower()
           for r in _options(fake, user)):
        await say(wa, fake, fake.tap(user, "not my problem"))
    for words in ("muster roll", "not working", "only for me", "No"):
        await say(wa, fake, fake.tap(user, words))


def _options(fake: FakeCloudApi, user: str) -> list[dict[str, Any]]:
    interactive = next(s.message["interactive"] for s in reversed(fake.sent)
                       if s.to == user and s.message.get("type") == "interactive")
    if interactive["type"] == "button":
        return list(interactive["action"]["buttons"])
    return [r for section in interactive["action"]["sections"] for r in section["rows"]]


async def tickets(wa: WhatsApp) -> list[TicketRow]:
    async with wa.services.sessions() as session:
        return list(await session.scalars(select(TicketRow).where(TicketRow.channel == "whatsapp")))


async def test_a_user_files_a_ticket_from_hi_by_buttons_and_lists(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    await walk_to_confirm(whatsapp, fake)
    shown = await say(whatsapp, fake, fake.tap(USER, "file it"))
    [ticket] = await tickets(whatsapp)
    assert ticket.user_id == USER and ticket.module == "attendance" and ticket.number
    assert any(ticket.number in text for text in shown), shown
    kinds = {s.message["interactive"]["type"] for s in fake.sent if s.message["type"] == "interactive"}
    assert kinds == {"button", "list"}, "three choices or fewer as buttons, more as a list"
    assert fake.calls.count("messages") == len(fake.sent), "every message the helpdesk sent was accepted"


async def test_a_full_conversation_costs_about_one_graph_api_call_per_user_message(
    whatsapp: WhatsApp, fake: FakeCloudApi
) -> None:
    """The figure docs/whatsapp.md quotes: `pytest tests/whatsapp -k graph_api_call -s` prints it."""
    user_messages = 0
    original = fake.message

    def counted(wa_id: str, **content: Any) -> dict[str, Any]:
        nonlocal user_messages
        user_messages += 1
        return original(wa_id, **content)

    fake.message = counted  # type: ignore[method-assign]
    await walk_to_confirm(whatsapp, fake)
    await say(whatsapp, fake, fake.tap(USER, "file it"))
    assert len(await tickets(whatsapp)) == 1
    calls = Counter(fake.calls)
    print(f"\nGraph API calls for one conversation from 'hi' to a filed ticket: {len(fake.calls)} "
          f"{dict(calls)} for {user_messages} user messages")
    assert set(calls) == {"messages"} and len(fake.calls) <= 2 * user_messages


async def test_a_redelivered_update_files_one_ticket(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    await walk_to_confirm(whatsapp, fake)
    confirm = fake.delivery([fake.tap(USER, "file it")])
    assert await fake.push(whatsapp.webhook, confirm) == [200]
    assert await fake.push(whatsapp.webhook, confirm) == [200]  # Meta delivers it again
    await whatsapp.channel.drain()
    assert len(await tickets(whatsapp)) == 1


async def test_every_message_of_a_batched_delivery_is_answered_once_in_order(
    whatsapp: WhatsApp, fake: FakeCloudApi
) -> None:
    first, second = "919437000011", "919437000012"
    await say(whatsapp, fake, fake.text(first, "hi"), fake.text(second, "hi"), fake.text(first, "help"))
    to_first = [s for s in fake.sent if s.to == first]
    to_second = [s for s in fake.sent if s.to == second]
    assert to_first and to_second
    assert await whatsapp.channel.drain() == 0, "nothing is answered twice"


async def test_a_wrong_signature_is_refused_and_nothing_is_stored(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    body = fake.delivery([fake.text(USER, "hi")])
    assert await fake.push(whatsapp.webhook, body, tries=1, signature=fake.sign(body, "not-the-secret")) == [403]
    assert await fake.push(whatsapp.webhook, body, tries=1, signature="") == [403]
    assert await whatsapp.channel.drain() == 0 and fake.sent == []


async def test_a_delivery_for_another_phone_number_is_acknowledged_and_ignored(
    whatsapp: WhatsApp, fake: FakeCloudApi
) -> None:
    body = fake.delivery([fake.text(USER, "hi")], phone_number_id="999")
    assert await fake.push(whatsapp.webhook, body) == [200]
    assert await whatsapp.channel.drain() == 0


async def test_the_verification_handshake_echoes_the_challenge_only_with_the_right_token(whatsapp: WhatsApp) -> None:
    right = await whatsapp.webhook.get("/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    wrong = await whatsapp.webhook.get("/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"})
    assert (right.status_code, right.text) == (200, "1158201444")
    assert wrong.status_code == 403


def reply(text: str = "Please try again after 5 pm.\nThen re-submit the bill.") -> OutboxItem:
    return OutboxItem(7, "whatsapp", USER, "operator_reply", {"number": "HD-000042", "text": text}, 0)


async def test_an_operator_reply_inside_the_window_is_free_form(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    await whatsapp.channel.sender().send(reply())
    last = fake.sent[-1].message
    assert last["type"] == "text" and "Please try again after 5 pm." in last["text"]["body"]


async def test_outside_the_window_an_operator_reply_goes_as_the_approved_template(
    whatsapp: WhatsApp, fake: FakeCloudApi, clock: TestClock
) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    clock.advance(timedelta(hours=25))
    await whatsapp.channel.sender().send(reply())
    template = fake.sent[-1].message["template"]
    assert (template["name"], template["language"]["code"]) == ("helpdesk_operator_reply", "en")
    parameter = template["components"][0]["parameters"][0]["text"]
    assert "Please try again after 5 pm." in parameter and "\n" not in parameter


async def test_when_meta_says_the_window_closed_the_reply_goes_again_as_a_template(
    whatsapp: WhatsApp, fake: FakeCloudApi, clock: TestClock
) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    fake.last_inbound[USER] = clock() - timedelta(hours=30)  # Meta's record differs from ours
    await whatsapp.channel.sender().send(reply())
    assert fake.sent[-1].message["type"] == "template"
    async with whatsapp.services.sessions() as session:
        assert not await SqlWhatsApp(session).window_open(USER, clock())


async def test_throughput_errors_are_retried_and_an_unreachable_user_is_not(
    whatsapp: WhatsApp, fake: FakeCloudApi
) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    fake.failures.append((USER, 400, 131056))  # pair rate limit
    with pytest.raises(DeliveryError) as slow:
        await whatsapp.channel.sender().send(reply())
    assert slow.value.retryable
    fake.failures.append((USER, 400, 131026))  # undeliverable
    with pytest.raises(DeliveryError) as gone:
        await whatsapp.channel.sender().send(reply())
    assert not gone.value.retryable
    with pytest.raises(DeliveryError, match="cannot be reached"):
        await whatsapp.channel.sender().send(reply())
    await say(whatsapp, fake, fake.text(USER, "status"))  # writing again makes them reachable
    await whatsapp.channel.sender().send(reply())


async def test_a_photo_is_downloaded_into_the_attachment_store(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    for words in ("English", "Junior", "Jatni"):
        await say(whatsapp, fake, fake.tap(USER, words))
    picture = b"\xff\xd8\xff\xe0 a phone screenshot"
    await say(whatsapp, fake, fake.photo(USER, picture, caption="The muster roll total is wrong after revision"))
    stored = list(whatsapp.channel.attachments.root.rglob("*.jpg"))
    assert [p.read_bytes() for p in stored] == [picture]
    assert fake.calls.count("download") == 1


async def test_a_photo_over_the_limit_is_refused_politely(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    whatsapp.channel.attachments.max_bytes = 10
    await say(whatsapp, fake, fake.text(USER, "hi"))
    shown = await say(whatsapp, fake, fake.photo(USER, b"x" * 100))
    assert any("MB" in text for text in shown), shown
    assert list(whatsapp.channel.attachments.root.rglob("*.jpg")) == []


async def test_statuses_arriving_out_of_order_keep_the_newest(whatsapp: WhatsApp, fake: FakeCloudApi) -> None:
    await say(whatsapp, fake, fake.text(USER, "hi"))
    message_id = fake.sent[-1].id
    for status in ("read", "sent", "delivered"):
        assert await fake.push(whatsapp.webhook, fake.delivery(statuses=[fake.status(message_id, USER, status)])) \
            == [200]
    async with whatsapp.services.sessions() as session:
        row = await session.get(WhatsAppSentRow, message_id)
        assert row is not None and row.status == "read"


async def test_a_media_url_needs_the_token_and_expires_after_five_minutes(
    whatsapp: WhatsApp, fake: FakeCloudApi, clock: TestClock
) -> None:
    fake.photo(USER, b"\xff\xd8\xff\xe0 a screenshot")
    [media_id] = list(fake.media)
    media = await whatsapp.channel.api.media(media_id)
    async with httpx.AsyncClient() as stranger:
        assert (await stranger.get(media.url)).status_code == 404, "no bearer token, no file"
    assert await whatsapp.channel.api.download(media, 1024) == b"\xff\xd8\xff\xe0 a screenshot"
    clock.advance(timedelta(minutes=6))
    with pytest.raises(GraphError):
        await whatsapp.channel.api.download(media, 1024)


class FlakySessions:
    """The database away for the first `failures` transactions, as the webhook sees it."""

    def __init__(self, real: async_sessionmaker[AsyncSession], failures: int) -> None:
        self.real, self.failures = real, failures

    def __call__(self) -> AsyncSession:
        if self.failures:
            self.failures -= 1
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("the database is restarting"))
        return self.real()


async def test_a_delivery_the_database_could_not_take_is_answered_503_and_meta_retries_it(
    whatsapp: WhatsApp, fake: FakeCloudApi, wa_settings: Settings, clock: TestClock
) -> None:
    flaky = FlakySessions(whatsapp.services.sessions, failures=1)
    app = FastAPI()
    app.include_router(webhook_router(wa_settings, flaky, asyncio.Event(), clock))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as meta:
        assert await fake.push(meta, fake.delivery([fake.text(USER, "hi")])) == [503, 200]
    assert await whatsapp.channel.drain() == 1 and fake.sent, "stored once, on the retry, and answered"
