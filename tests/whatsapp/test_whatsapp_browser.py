"""A WhatsApp ticket worked in the console of a real `helpdesk serve`, in Chromium: the operator attaches a
photo to a reply with the form, the server's delivery worker uploads it to the fake Cloud API and sends it
after the text, and the reply's bubble follows Meta's statuses (delivered, then read, never back), then says
the user is unreachable when Meta cannot deliver to them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.wiring import build_services
from core.settings import Settings
from tests.jsonchat import helpdesk_env
from tests.serving import serving
from tests.web.conftest import add_user, browser, close_pages, kb_copy, new_page, shoot, sign_in  # noqa: F401 (fixture)
from tests.web.test_browser import _png as png
from tests.whatsapp.conftest import VERIFY_TOKEN
from tests.whatsapp.fake_cloud_api import APP_SECRET, PHONE_NUMBER_ID, TOKEN, VERSION, WABA_ID, FakeCloudApi
from tickets.store import SqlTicketStore, TicketDraft

USER = "919437000077"
PNG = png()


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine beside Playwright's own event loop (in a thread of its own)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join(timeout=120)
    return result[0]


async def _file(settings: Settings) -> str:
    services = build_services(settings)
    try:
        async with services.sessions() as s, s.begin():
            ticket = await SqlTicketStore(s, settings.ticket_prefix, services.due).file(TicketDraft(
                channel="whatsapp", user_id=USER, role="junior_engineer", ulb="od.jatni", language="en",
                module="bills", category="technical", priority="P2", priority_reason="seeded",
                description="The bill page shows an error when I submit", team="l1"))
        return str(ticket.number)
    finally:
        await services.db.dispose()


@pytest.fixture
def server(fake: FakeCloudApi, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    env = helpdesk_env(settings.database_url or "", settings.data_dir) | {
        "HELPDESK_KB_DIR": str(kb_copy(tmp_path)), "HELPDESK_WHATSAPP_TOKEN": TOKEN,
        "HELPDESK_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, "HELPDESK_WHATSAPP_APP_SECRET": APP_SECRET,
        "HELPDESK_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "HELPDESK_WHATSAPP_API_URL": f"{fake.url}/{VERSION}",
        "HELPDESK_WHATSAPP_BUSINESS_ACCOUNT_ID": WABA_ID}
    add_user(env, "meera", "operator")
    pages = request.getfixturevalue("browser")
    with serving(env) as url:
        yield url
        close_pages(pages)


def push(server: str, fake: FakeCloudApi, body: bytes) -> None:
    """Meta's webhook delivery to the server, signed."""
    answer = httpx.post(f"{server}/whatsapp/webhook", content=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": fake.sign(body)})
    assert answer.status_code == 200, answer.text


def wait_for(fake: FakeCloudApi, count: int) -> None:
    """Until the fake has taken `count` messages for the user (the server's workers run on their own)."""
    for _ in range(300):
        if len([s for s in fake.sent if s.to == USER]) >= count:
            return
        time.sleep(0.1)
    pytest.fail(f"the server sent {[s.message['type'] for s in fake.sent]} to the fake, not {count} messages")


def receipt(page: Page) -> str:
    page.reload()
    return page.locator("#messages .receipt").last.get_attribute("data-receipt") or ""


# SQLite only: what the console shows. The statuses, uploads and unreachable users are stored and read on both
# databases by tests/whatsapp/test_whatsapp_channel.py and test_whatsapp_console.py
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_operator_sends_a_photo_and_sees_it_delivered_then_read_then_the_user_unreachable(
    server: str, fake: FakeCloudApi, settings: Settings, browser: Browser, tmp_path: Path  # noqa: F811
) -> None:
    number = _run(_file(settings))
    hello = fake.text(USER, "hi")
    del hello["timestamp"]  # the server dates it by its own clock: the user's window opens now
    push(server, fake, fake.delivery([hello]))
    wait_for(fake, 1)  # the bot answered: the user wrote within 24 hours

    operator = new_page(browser)
    sign_in(operator, server, "meera")
    operator.goto(f"{server}/console/tickets/{number}")
    animation = tmp_path / "where.gif"
    animation.write_bytes(b"GIF89a" + b"\x00" * 32)
    operator.locator("#reply-text").fill("This is the button to press.")
    operator.locator("#reply-file").set_input_files(str(animation))
    operator.get_by_role("button", name="Send reply").click()
    expect(operator.locator("#problem")).to_contain_text("send a photo (JPEG or PNG) or a PDF document")
    expect(operator.locator("#reply-text")).to_have_value("This is the button to press.")  # kept, to try again
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024))
    operator.locator("#reply-file").set_input_files(str(huge))
    assert "5 MB" in operator.locator("#reply-file").evaluate("input => input.validationMessage")
    assert operator.locator("#reply-file").evaluate("input => input.form.checkValidity()") is False
    photo = tmp_path / "where-to-press.png"
    photo.write_bytes(PNG)
    operator.locator("#reply-file").set_input_files(str(photo))
    sent_before = len([s for s in fake.sent if s.to == USER])
    operator.get_by_role("button", name="Send reply").click()
    expect(operator.locator("#messages")).to_contain_text("sent with it: where-to-press.png")

    wait_for(fake, sent_before + 2)
    reply = [s for s in fake.sent if s.to == USER][-2:]
    assert [s.message["type"] for s in reply] == ["text", "image"]
    assert fake.media[reply[1].message["image"]["id"]].data == PNG

    for status in ("sent", "delivered"):
        push(server, fake, fake.delivery(statuses=[fake.status(s.id, USER, status) for s in reply]))
    assert receipt(operator) == "delivered"
    for status in ("read", "delivered"):  # the late "delivered" changes nothing
        push(server, fake, fake.delivery(statuses=[fake.status(s.id, USER, status) for s in reply]))
    assert receipt(operator) == "read"
    expect(operator.locator("#messages .receipt").last).to_contain_text("✓✓ read")
    shoot(operator, "whatsapp-reply-read")

    push(server, fake, fake.delivery(statuses=[fake.status(reply[0].id, USER, "failed", code=131026)]))
    operator.reload()
    expect(operator.locator("#unreachable")).to_contain_text("User unreachable on WhatsApp")
