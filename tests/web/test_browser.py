"""The web chat and the console in a real browser, against a real `helpdesk serve`: a user files a ticket
in the web chat, an operator works it in the console, and the reply reaches the user's open page."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import add_user, new_page, shoot, sign_in

XSS = 'Bill page fails <img src=x onerror="document.title=\'pwned\'"><script>document.title=\'pwned\'</script>'


def _png(width: int = 40, height: int = 30) -> bytes:
    """A small real PNG (a red rectangle), made here so the test needs no image file."""
    raw = b"".join(b"\x00" + bytes([200, 60, 40]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _answer(page: Page, act: object) -> None:
    """Do something in the chat and wait until the bot has answered it (the user's bubble and the bot's)."""
    before = page.locator("#log .bubble").count()
    assert callable(act)
    act()
    expect(page.locator("#log .bubble").nth(before + 1)).to_be_attached()


def _tap(page: Page, label: str) -> None:
    choices = page.locator("#log .bubble.bot").last
    _answer(page, lambda: choices.get_by_role("button", name=re.compile(label, re.IGNORECASE)).click())


def _type(page: Page, text: str) -> None:
    def send() -> None:
        page.locator("#text").fill(text)
        page.locator("#text").press("Enter")
    _answer(page, send)


def file_ticket_in_web_chat(page: Page, server: str, photo: Path) -> str:
    page.goto(f"{server}/web/chat")
    expect(page.locator("#log")).to_contain_text("What is your role?")
    _tap(page, "Junior")
    _type(page, "1")  # typed number of the first ULB
    expect(page.locator("#log .bubble.bot").last).to_contain_text("describe your problem")
    page.locator("input[name=photo]").set_input_files(str(photo))
    _type(page, XSS)
    if "not my problem" in page.locator("#log .bubble.bot").last.inner_text().lower():
        _tap(page, "not my problem")
    for label in ("Bills", "not working", "everyone", "^2 No|No$"):
        _tap(page, label)
    _tap(page, "file it")
    ticket = page.locator("header #ticket")
    expect(ticket).to_be_visible()
    return ticket.inner_text().strip()


def test_a_web_chat_ticket_is_worked_in_the_console_and_the_reply_reaches_the_open_chat(
    server: str, env: dict[str, str], browser: Browser, tmp_path: Path
) -> None:
    add_user(env, "priya", "operator")
    photo = tmp_path / "screen.png"
    photo.write_bytes(_png())
    user = new_page(browser, 360, 740)
    number = file_ticket_in_web_chat(user, server, photo)
    assert re.fullmatch(r"HD-\S+", number)
    expect(user.locator("#log .bubble.me").filter(has_text="<script>")).to_have_count(1)
    assert user.title() != "pwned"

    operator = new_page(browser)
    sign_in(operator, server, "priya")
    expect(operator).to_have_url(re.compile(r"/console/queue$"))
    [cookie] = [c for c in operator.context.cookies() if c["name"] == "hd_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    row = operator.locator(".tickets li", has_text=number)
    expect(row).to_contain_text("unassigned")
    shoot(operator, "queue")
    operator.set_viewport_size({"width": 360, "height": 740})
    assert operator.locator("html").evaluate("html => html.scrollWidth") <= 360
    operator.set_viewport_size({"width": 1100, "height": 900})

    row.get_by_role("link", name=number).click()
    expect(operator.locator(".desc").first).to_contain_text("<img src=x onerror=")
    assert operator.title() != "pwned"
    image = operator.locator(".attachments img")
    expect(image).to_be_visible()
    operator.wait_for_function("() => document.querySelector('.attachments img')?.complete")  # loaded, not laid out
    assert image.evaluate("img => img.naturalWidth") == 40
    expect(operator.locator(".attachments a:has(img)")).to_have_attribute("href", image.get_attribute("src") or "")

    operator.get_by_role("button", name="Claim").click()
    expect(operator.locator("#assignee")).to_have_text("priya")
    operator.locator("#reply-text").fill("Please log out, log in again and submit the bill once more.")
    operator.get_by_role("button", name="Send reply").click()
    expect(operator.locator("#messages")).to_contain_text("log in again")

    expect(user.locator("#log .bubble.bot").last).to_contain_text("log in again", timeout=20_000)  # no reload
    operator.reload()
    expect(operator.locator("#deliveries")).to_contain_text("delivered")

    operator.locator("#team").select_option("vendor")
    operator.get_by_label("Escalation reason").fill("Bill submit fails on the server")
    operator.get_by_role("button", name="Escalate").click()
    expect(operator.locator("#status")).to_have_text("escalated")
    operator.get_by_label("Resolution note").fill("The vendor fixed the bill page; please submit again.")
    operator.get_by_role("button", name="Resolve").click()
    expect(operator.locator("#status")).to_have_text("resolved")
    expect(operator.locator("#audit")).to_contain_text("escalate")
    shoot(operator, "ticket")
    operator.set_viewport_size({"width": 360, "height": 740})
    page_width = operator.locator("html").evaluate("html => html.scrollWidth")
    assert page_width <= 360, "the ticket page scrolls sideways on a phone"
    shoot(operator, "ticket-360")
    operator.set_viewport_size({"width": 1100, "height": 900})
    expect(user.locator("#log")).to_contain_text(f"marked your ticket {number} as resolved", timeout=20_000)
    user.get_by_role("button", name="ଓଡ଼ିଆ").click()  # the language switch: the bot answers in Odia
    expect(user.locator("#log .bubble.bot").last).to_contain_text("ଓଡ଼ିଆ")
    expect(user.get_by_role("button", name="ଓଡ଼ିଆ")).to_have_attribute("aria-current", "true")
    shoot(user, "web-chat", full_page=False)

    operator.goto(f"{server}/console/kb/gaps")
    expect(operator.locator(".card").first).to_contain_text("<script>document.title")
    shoot(operator, "gaps")
    assert operator.title() != "pwned"

    operator.goto(f"{server}/console/dashboard")
    expect(operator.locator("#filed")).to_have_text("1")
    expect(operator.locator(".chart svg rect")).not_to_have_count(0)
    shoot(operator, "dashboard")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # files and roles: the database adds nothing
def test_a_kb_edit_names_the_wrong_field_and_roles_are_enforced(
    server: str, env: dict[str, str], browser: Browser
) -> None:
    add_user(env, "kavya", "kb_maintainer")
    add_user(env, "priya", "operator")
    maintainer = new_page(browser)
    sign_in(maintainer, server, "kavya")
    expect(maintainer).to_have_url(re.compile(r"/console/kb$"))
    maintainer.get_by_label("What a user might type").fill("how do i login to the web app")
    maintainer.get_by_role("button", name="Try").click()
    expect(maintainer.locator("#try")).to_contain_text("employee-login")
    shoot(maintainer, "kb")

    maintainer.goto(f"{server}/console/kb/employee-login/edit")
    maintainer.get_by_label("Other ways users ask it", exact=True).fill("only one way")
    maintainer.get_by_label("Links").fill("ftp://old.example")
    maintainer.get_by_role("button", name="Save").click()
    expect(maintainer.locator("[data-field=alternates]")).to_contain_text("at least 3")
    expect(maintainer.locator("[data-field=links]")).to_contain_text("is not an http(s) link")
    expect(maintainer.locator(".field.invalid")).to_have_count(2)  # only the two wrong fields are marked

    maintainer.get_by_label("Other ways users ask it", exact=True).fill(
        "login web app\nemployee login\nsign in as engineer")
    maintainer.get_by_label("Links").fill("")
    maintainer.get_by_label("Answer", exact=True).fill(
        "Open the web app, choose your language, then enter username and password.")
    maintainer.get_by_role("button", name="Save").click()
    expect(maintainer.locator(".flash")).to_contain_text("Saved employee-login")
    expect(maintainer.locator("table")).to_contain_text("choose your language, then enter username and password")

    maintainer.goto(f"{server}/console/queue")
    expect(maintainer.get_by_role("alert")).to_contain_text("kb_maintainer) may not queue")
    refused = maintainer.request.post(f"{server}/console/kb/employee-login/edit", form={"question": "x"})
    assert refused.status == 403  # no CSRF token

    operator = new_page(browser)
    sign_in(operator, server, "priya")
    response = operator.goto(f"{server}/console/kb/employee-login/edit")
    assert response is not None and response.status == 403
    expect(operator.get_by_role("alert")).to_contain_text("may not kb edit")
