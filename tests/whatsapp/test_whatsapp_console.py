"""What an operator sees of WhatsApp in the console and the API: each reply's delivery status as Meta reports
it (out of order too), files sent with a reply reaching the user through /media, and a user Meta cannot
deliver to shown as unreachable on their tickets. The fake Cloud API on loopback plays Meta."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from api.accounts import SqlAccounts
from api.tokens import SqlTokenStore
from app.wiring import build_app
from tests.whatsapp.conftest import WhatsApp
from tests.whatsapp.fake_cloud_api import FakeCloudApi, TestClock
from tests.whatsapp.test_whatsapp_channel import USER, say, tickets, walk_to_confirm
from tickets.delivery import deliver_due
from tickets.desk import SqlTicketDesk, TicketEvent
from tickets.models import OutboxRow

PASSWORD = "long enough secret"  # noqa: S105 (a test account)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


@dataclass
class Console:
    """The operator's side: the real app in process, signed in as an operator, with an API token too."""

    client: httpx.AsyncClient
    csrf: str
    token: str

    async def page(self, number: str) -> str:
        answer = await self.client.get(f"/console/tickets/{number}")
        assert answer.status_code == 200, answer.text[:300]
        return html.unescape(answer.text)

    async def reply(self, number: str, text: str, file: tuple[str, bytes, str] | None = None) -> httpx.Response:
        page = await self.page(number)
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version
        return await self.client.post(f"/console/tickets/{number}/reply",
                                      data={"csrf": self.csrf, "version": version.group(1), "text": text},
                                      files={"file": file} if file else {"file": ("", b"", "application/octet-stream")})


@pytest.fixture
async def console(whatsapp: WhatsApp) -> AsyncIterator[Console]:
    services = whatsapp.services
    async with services.sessions() as s, s.begin():
        await SqlAccounts(s).create("asha", "operator", PASSWORD, None, [t.code for t in services.settings.teams])
        token = await SqlTokenStore(s).create("asha-api", "operator", None, [t.code for t in services.settings.teams])
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as client:
        form = await client.get("/console/sign-in")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found
        done = await client.post("/console/sign-in", data={"name": "asha", "password": PASSWORD,
                                                           "csrf": found.group(1), "next": "/console"})
        assert done.status_code == 303, done.text
        queue = await client.get("/console/queue")
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text) or re.search(
            r'X-CSRF-Token&#34;: &#34;([^&]+)&#34;', queue.text)
        assert csrf
        yield Console(client, csrf.group(1), token)


async def filed(whatsapp: WhatsApp, fake: FakeCloudApi) -> str:
    await walk_to_confirm(whatsapp, fake)
    await say(whatsapp, fake, fake.tap(USER, "file it"))
    [ticket] = await tickets(whatsapp)
    assert ticket.number
    return ticket.number


async def deliver(whatsapp: WhatsApp) -> None:
    result = await deliver_due(whatsapp.services.sessions, {"whatsapp": whatsapp.channel.sender()})
    assert result.delivered and not result.retrying and not result.dead, result


async def statuses(whatsapp: WhatsApp, fake: FakeCloudApi, message_ids: list[str], *said: str,
                   code: int | None = None) -> None:
    """Meta reports `said` for each message, in the order given, one webhook delivery each."""
    for status in said:
        body = fake.delivery(statuses=[fake.status(m, USER, status, code) for m in message_ids])
        assert await fake.push(whatsapp.webhook, body) == [200]


def receipt(page: str) -> list[str]:
    return re.findall(r'data-receipt="([a-z]+)"', page)


async def test_an_operator_reply_shows_delivered_then_read_and_never_goes_back(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    assert (await console.reply(number, "Please log out and in again, then re-submit the bill.")).status_code == 303
    before = len(fake.sent)
    await deliver(whatsapp)
    sent = [s.id for s in fake.sent[before:]]
    assert receipt(await console.page(number)) == ["accepted"], "Meta took it; nothing reported yet"
    await statuses(whatsapp, fake, sent, "sent", "delivered")
    assert receipt(await console.page(number)) == ["delivered"]
    await statuses(whatsapp, fake, sent, "read", "delivered", "sent")  # late, out-of-order statuses
    page = await console.page(number)
    assert receipt(page) == ["read"]
    assert re.search(r'id="deliveries".*operator reply: <strong>read</strong>', page, re.S)
    detail = (await console.client.get(f"/api/tickets/{number}",
                                       headers={"Authorization": f"Bearer {console.token}"})).json()
    assert [m["delivery"] for m in detail["messages"] if m["kind"] == "reply"] == ["read"]


async def test_a_photo_attached_to_a_reply_reaches_the_user_through_media_upload(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    answer = await console.reply(number, "This is where to click.", ("where-to-click.png", PNG, "image/png"))
    assert answer.status_code == 303, answer.text[:500]
    before = len(fake.sent)
    await deliver(whatsapp)
    kinds = [s.message["type"] for s in fake.sent[before:]]
    assert kinds == ["text", "image"]
    media_id = fake.sent[-1].message["image"]["id"]
    assert fake.media[media_id].data == PNG and fake.uploaded[media_id] == "where-to-click.png"
    page = await console.page(number)
    assert re.search(r"sent with it:</small> <a [^>]*>where-to-click.png</a>", page)
    await statuses(whatsapp, fake, [fake.sent[before].id], "read")  # the text is read, the photo not yet
    assert receipt(await console.page(number)) == ["accepted"], "a reply is read when all its messages are"
    await statuses(whatsapp, fake, [s.id for s in fake.sent[before:]], "read")
    assert receipt(await console.page(number)) == ["read"]


async def test_a_reply_whose_photo_failed_is_retried_without_sending_its_text_again(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    await console.reply(number, "This is where to click.", ("where.png", PNG, "image/png"))
    before = len(fake.sent)
    fake.fail_next_media = (400, 130429)  # throughput: the photo's message is refused once
    first = await deliver_due(whatsapp.services.sessions, {"whatsapp": whatsapp.channel.sender()})
    assert first.retrying and [s.message["type"] for s in fake.sent[before:]] == ["text"]
    async with whatsapp.services.sessions() as s, s.begin():  # its backoff over
        await s.execute(update(OutboxRow).where(OutboxRow.id.in_(first.retrying))
                        .values(next_attempt_at=datetime(2026, 1, 1, tzinfo=UTC)))
    retried = await deliver_due(whatsapp.services.sessions, {"whatsapp": whatsapp.channel.sender()})
    assert retried.delivered and [s.message["type"] for s in fake.sent[before:]] == ["text", "image"]


async def test_a_reply_with_a_photo_the_users_own_message_picks_up_brings_the_photo_too(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    await console.reply(number, "This is where to click.", ("where.png", PNG, "image/png"))
    before = len(fake.sent)
    await say(whatsapp, fake, fake.text(USER, "any news?"))  # before the delivery worker's next pass
    assert [s.message["type"] for s in fake.sent[before:]].count("image") == 1
    assert any("where to click" in text for text in fake.texts_to(USER)[-4:])


async def test_outside_the_window_a_photo_is_named_in_the_template_and_sent_when_the_user_writes(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console, clock: TestClock
) -> None:
    number = await filed(whatsapp, fake)
    clock.advance(timedelta(hours=30))
    await console.reply(number, "This is where to click.", ("where.png", PNG, "image/png"))
    await deliver(whatsapp)
    template = fake.sent[-1].message
    assert template["type"] == "template" and "📎 where.png" in fake.texts_to(USER)[-1]
    before = len(fake.sent)
    await say(whatsapp, fake, fake.text(USER, "I do not see the picture"))
    images = [s for s in fake.sent[before:] if s.message["type"] == "image"]
    assert len(images) == 1 and fake.media[images[0].message["image"]["id"]].data == PNG
    await say(whatsapp, fake, fake.text(USER, "thanks"))
    assert [s.message["type"] for s in fake.sent].count("image") == 1, "sent once"


async def test_a_pdf_sent_through_the_api_goes_as_a_document_and_other_files_are_refused(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    auth = {"Authorization": f"Bearer {console.token}"}
    path = f"/api/tickets/{number}/reply-with-attachment"
    refused = await console.client.post(path, headers=auth, data={"text": "see this"},
                                        files={"file": ("run.sh", b"#!/bin/sh\nrm -rf /\n", "application/pdf")})
    assert refused.status_code == 422 and "PDF" in refused.json()["message"]
    photo = b"\xff\xd8\xff\xe0" + b"x" * (5 * 1024 * 1024)
    too_big = await console.client.post(path, headers=auth, data={"text": "see this"},
                                        files={"file": ("big.jpg", photo, "image/jpeg")})
    assert too_big.status_code == 422 and "5 MB" in too_big.json()["message"]
    sent = await console.client.post(path, headers=auth, data={"text": "The circular is attached."},
                                     files={"file": ("circular", PDF, "application/pdf")})
    assert sent.status_code == 200, sent.text
    before = len(fake.sent)
    await deliver(whatsapp)
    document = fake.sent[-1].message
    assert [s.message["type"] for s in fake.sent[before:]] == ["text", "document"]
    assert document["document"]["filename"] == "circular.pdf"
    assert fake.media[document["document"]["id"]].mime_type == "application/pdf"
    detail = (await console.client.get(f"/api/tickets/{number}", headers=auth)).json()
    [reply] = [m for m in detail["messages"] if m["kind"] == "reply"]
    assert [a["name"] for a in reply["attachments"]] == ["circular.pdf"]


async def test_a_user_meta_cannot_deliver_to_is_shown_unreachable_on_their_ticket_until_they_write(
    whatsapp: WhatsApp, fake: FakeCloudApi, console: Console
) -> None:
    number = await filed(whatsapp, fake)
    await console.reply(number, "Could you send a screenshot?")
    before = len(fake.sent)
    await deliver(whatsapp)
    await statuses(whatsapp, fake, [s.id for s in fake.sent[before:]], "failed", code=131026)
    page = await console.page(number)
    assert re.search(r'id="unreachable"><strong>User unreachable on WhatsApp', page) and receipt(page) == ["failed"]
    await statuses(whatsapp, fake, [s.id for s in fake.sent[before:]], "failed", code=131026)  # again: once
    detail = (await console.client.get(f"/api/tickets/{number}",
                                       headers={"Authorization": f"Bearer {console.token}"})).json()
    assert [e["action"] for e in detail["events"]].count("unreachable") == 1
    await console.reply(number, "We will wait for your answer.")
    result = await deliver_due(whatsapp.services.sessions, {"whatsapp": whatsapp.channel.sender()})
    assert result.dead and len(fake.sent) == before + 1, "not sent to a user marked unreachable"
    shown = await say(whatsapp, fake, fake.text(USER, "status"))  # the user writes again
    assert any("We will wait for your answer." in text for text in shown), "what was given up on reaches them"
    page = await console.page(number)
    assert 'id="unreachable"' not in page
    assert "reachable" in [e.action for e in await _events(whatsapp, number)]



async def _events(whatsapp: WhatsApp, number: str) -> list[TicketEvent]:
    async with whatsapp.services.sessions() as s:
        desk = SqlTicketDesk(s, whatsapp.services.settings)
        return list(await desk.events((await desk.row(number)).id))
