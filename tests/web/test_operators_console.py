"""The operator's workspace in a real browser, at a desk (1366x800) and on a phone (360x740), one test per
finding of issue 22: search (1), actions that follow the status (3), conflicts (4), times (5), the queue (6).

One `helpdesk serve` for the module, on SQLite: the searches' database behaviour is covered on both
databases by tests/api/test_search.py; these tests are about what an operator sees.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.wiring import build_services
from core.settings import Settings
from tests.jsonchat import helpdesk_env
from tests.serving import serving
from tests.web.conftest import add_user, kb_copy, new_page, shoot, sign_in
from tickets.desk import SqlTicketDesk
from tickets.feedback import SqlTicketFeedback
from tickets.notifications import SqlNotifications
from tickets.store import SqlTicketStore, TicketDraft

pytestmark = pytest.mark.xdist_group("operators_console")  # one worker (make test: --dist loadgroup)

SIZES = {"desk": (1366, 800), "phone": (360, 740)}
ODIA = "ମଜୁରି ପେମେଣ୍ଟ ଆସିନାହିଁ ମଷ୍ଟର ରୋଲ୍ ପରେ"
HINDI = "बिल जमा करने पर त्रुटि दिखती है"
TICKETS = (  # (description, user) filed in this order: HD-000001, HD-000002, ...
    ("Measurement book page does not save the measurement", "900001"),
    (ODIA, "900002"),
    (HINDI, "900003"),
    ("Login OTP never arrives on my phone", "900004"),
    ("Attendance for the muster roll is not saved", "900005"),
    ("Bill is stuck after approval", "900006"),
    *((f"Wage seeker {n} cannot be added to the project", f"90001{n}") for n in range(4)),  # HD-000007..10
    ("Bill page is blank after login", "900006"),  # HD-000011: the same user as HD-000006, resolved and rated
)
LIFECYCLE = {"desk": "HD-000007", "phone": "HD-000008"}
CONFLICT = {"desk": "HD-000009", "phone": "HD-000010"}


SERVED: dict[str, Settings] = {}  # the module's server's settings, for tickets filed during a test


async def _file(settings: Settings, tickets: tuple[tuple[str, str], ...]) -> None:
    services = build_services(settings)
    try:
        for description, user in tickets:
            async with services.sessions() as s, s.begin():
                await SqlTicketStore(s, settings.ticket_prefix, services.due).file(TicketDraft(
                    channel="telegram", user_id=user, role="junior_engineer", ulb="od.jatni", language="en",
                    module="bills", category="technical", priority="P2", priority_reason="seeded",
                    description=description, team="l1"))
    finally:
        await services.db.dispose()


def _in_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run database work beside Playwright's event loop."""
    thread = threading.Thread(target=asyncio.run, args=(work,))
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()


async def _seed(settings: Settings) -> None:
    await _file(settings, TICKETS)
    services = build_services(settings)
    try:
        async with services.sessions() as s, s.begin():
            desk = SqlTicketDesk(s, settings, services.due)
            await desk.reply("HD-000004", "meera", "कृपया स्क्रीनशॉट भेजें", None)
            await desk.add_user_message("HD-000006", "900006", "Still stuck this morning")
            await desk.resolve("HD-000011", "meera", "Cleared the cache on the server.", None)
        async with services.sessions() as s, s.begin():
            feedback = SqlTicketFeedback(s, settings, services.due)
            await feedback.fixed("HD-000011", "900006")
            await feedback.rate("HD-000011", "900006", 4)
            notices = SqlNotifications(s)
            await notices.notify("meera", "sla_at_risk", "response due within 1 business hour", 5)
            await notices.notify("arjun", "sla_breached", "response target missed", 5)
    finally:
        await services.db.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served console with two operators and the seeded tickets."""
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp / 'helpdesk.db'}"
    env = helpdesk_env(url, tmp / "data") | {  # the queue asks for its live notices every second, not every 10 s
        "HELPDESK_KB_DIR": str(kb_copy(tmp)), "HELPDESK_WEB_CONSOLE_NOTICES_SECONDS": "1"}
    with serving(env) as served:
        settings = Settings(database_url=url, data_dir=tmp / "data", kb_dir=kb_copy(tmp))
        SERVED["settings"] = settings
        _in_thread(_seed(settings))
        for name in ("meera", "arjun"):
            add_user(env, name, "operator")
        yield served


def _operator(browser: Browser, console: str, size: str, name: str = "meera") -> Page:
    page = new_page(browser, *SIZES[size])
    sign_in(page, console, name)
    expect(page).to_have_url(f"{console}/console/queue")
    return page


def _search(page: Page, typed: str) -> None:
    page.get_by_role("searchbox", name="Search").fill(typed)
    page.get_by_role("searchbox", name="Search").press("Enter")


def _found(page: Page) -> list[str]:
    return [n.strip() for n in page.locator(".tickets li strong").all_inner_texts()]


@pytest.mark.parametrize("size", SIZES)
def test_finding_1_search_finds_tickets_by_number_user_and_words_in_every_script(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    _search(page, "HD-000003")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search: “HD-000003”")
    assert _found(page) == ["HD-000003"]
    _search(page, "ଆସିନାହିଁ")
    expect(page.locator(".tickets li")).to_have_count(1)
    assert _found(page) == ["HD-000002"]
    _search(page, "स्क्रीनशॉट")  # in an operator's reply, not the description
    expect(page.locator(".tickets li strong")).to_have_text(["HD-000004"])
    _search(page, "900005")
    expect(page.locator(".tickets li strong")).to_have_text(["HD-000005"])
    _search(page, "measurement")
    expect(page.locator(".tickets li strong")).to_have_text(["HD-000001"])
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("measurement")
    assert page.locator("html").evaluate("html => html.scrollWidth") <= SIZES[size][0]
    shoot(page, f"console-search-{size}")
    _search(page, "nothing-like-this")
    expect(page.locator("#queue")).to_contain_text("No ticket matches “nothing-like-this”")
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    expect(page.locator(".tickets li").first).to_be_visible()
    shoot(page, f"console-queue-{size}")


def _offered(page: Page) -> set[str]:
    return {b.strip() for b in page.locator("section.actions button").all_inner_texts()}


@pytest.mark.parametrize("size", SIZES)
def test_finding_3_only_the_actions_the_status_allows_are_offered_and_resolve_sends_the_note(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    number = LIFECYCLE[size]
    page.goto(f"{console}/console/tickets/{number}")
    expect(page.locator("#status")).to_have_text("new")
    assert {"Claim", "Send reply", "Escalate", "Resolve"} <= _offered(page)
    assert not {"Wait on user", "Reopen", "Close"} & _offered(page)
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#status")).to_have_text("open")
    assert "Wait on user" in _offered(page)
    page.get_by_role("button", name="Wait on user").click()
    expect(page.locator("#status")).to_have_text("waiting_on_user")
    assert "Wait on user" not in _offered(page)
    note = "The bill was re-submitted from the server; please check it in the app now."
    page.get_by_label("Resolution note").fill(note)
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator("#status")).to_have_text("resolved")
    expect(page.locator("#sla-clock")).to_contain_text("IST by meera")
    expect(page.locator("#sla-clock")).not_to_contain_text("left")
    expect(page.locator("#deliveries")).to_contain_text("ticket resolved")
    expect(page.locator("#deliveries")).to_contain_text("re-submitted from the server")
    assert {"Close", "Reopen"} <= _offered(page)
    assert not {"Claim", "Wait on user", "Escalate", "Resolve"} & _offered(page)
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator("#status")).to_have_text("closed")
    assert "Reopen" in _offered(page)
    assert not {"Close", "Send reply", "Resolve"} & _offered(page)
    expect(page.locator("#audit")).to_contain_text("IST")
    assert page.locator("html").evaluate("html => html.scrollWidth") <= SIZES[size][0]


@pytest.mark.parametrize("size", SIZES)
def test_finding_4_a_conflict_says_who_changed_what_keeps_the_text_and_reapplies(
    console: str, browser: Browser, size: str
) -> None:
    number = CONFLICT[size]
    page = _operator(browser, console, size)
    page.goto(f"{console}/console/tickets/{number}")
    other = _operator(browser, console, "desk", "arjun")
    other.goto(f"{console}/console/tickets/{number}")
    other.get_by_role("button", name="Claim").click()
    expect(other.locator("#assignee")).to_have_text("arjun")

    reason = "Wage seeker registration fails on the server"
    page.locator("#team").select_option("vendor")
    page.get_by_label("Escalation reason").fill(reason)
    page.get_by_role("button", name="Escalate").click()
    problem = page.locator("#problem")
    expect(problem).to_contain_text("the ticket changed since you opened it")
    expect(problem.locator("#changes")).to_contain_text("arjun did “claim”")
    expect(problem.locator("#changes")).to_contain_text("assignee: nobody → arjun")
    expect(page.get_by_label("Escalation reason")).to_have_value(reason)
    expect(page.locator("#status")).to_have_text("open")
    if size == "phone":
        shoot(page, "console-conflict-phone")
    problem.get_by_role("button", name="Apply my escalate again").click()
    expect(page.locator("#status")).to_have_text("escalated")
    expect(page.locator("#audit")).to_contain_text(reason)



@pytest.mark.parametrize("size", SIZES)
def test_finding_5_times_are_ist_with_the_zone_relative_and_in_business_hours(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    row = page.locator(".tickets li", has_text="HD-000006")
    expect(row.locator(".age")).to_have_text(re.compile(r"^filed (just now|\d+ (min|h|d) ago)$"))
    expect(row.locator(".age")).to_have_attribute("title", re.compile(r"^filed \d+ \w{3} \d{4}, \d\d:\d\d IST$"))
    expect(row).to_contain_text(re.compile(r"(due in|overdue by) \d+ business (min|hours?)"))
    page.goto(f"{console}/console/tickets/HD-000004")
    expect(page.locator("#messages .who")).to_have_text(re.compile(r"reply · meera · \d+ \w{3} \d{4}, \d\d:\d\d IST"))
    expect(page.locator("#audit li").first).to_contain_text("IST")
    expect(page.locator("#sla-clock")).to_have_text("● answered")


@pytest.mark.parametrize("size", SIZES)
def test_finding_6_the_queue_marks_a_user_reply_names_the_ulb_and_gives_live_notices(
    console: str, browser: Browser, size: str
) -> None:
    name = {"desk": "meera", "phone": "arjun"}[size]
    page = _operator(browser, console, size, name)
    notice = page.locator("#notices .notifications li")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("sla at risk" if name == "meera" else "sla breached")
    expect(notice.get_by_role("link")).to_have_text("HD-000005")
    notice.get_by_role("button", name="Mark read").click()
    expect(notice).to_have_count(0)
    _in_thread(_file(SERVED["settings"], ((f"Estimate cannot be revised ({size})", "900100"),)))
    expect(page.locator("#notices .new-tickets")).to_contain_text("1 new ticket", timeout=10_000)
    page.get_by_role("navigation", name="Quick filters").get_by_role("link", name="My open tickets").click()
    expect(page).to_have_url(re.compile(rf"assignee={name}$"))
    page.goto(f"{console}/console/queue")
    replied = page.locator(".tickets li", has=page.locator(".badge.replied"))
    expect(replied.locator("strong")).to_have_text(["HD-000006"])
    expect(replied.locator(".badge.replied")).to_have_text("user replied")
    row = page.locator(".tickets li", has_text="HD-000006")
    expect(row.locator(".badge", has_text="Jatni")).to_have_attribute("title", "od.jatni")
    expect(row).not_to_contain_text("od.jatni")



@pytest.mark.parametrize("size", SIZES)
def test_finding_7_the_ticket_page_puts_the_people_first_and_keeps_actions_in_reach(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    page.goto(f"{console}/console/tickets/HD-000006")
    conversation = page.get_by_role("heading", name="Conversation with the user")
    expect(conversation).to_be_visible()
    if size == "phone":
        shoot(page, "console-ticket-phone", full_page=False)
    bot = page.locator("#bot-transcript")
    assert conversation.bounding_box()["y"] < bot.bounding_box()["y"]  # type: ignore[index]
    expect(bot).not_to_have_attribute("open", "")
    expect(page.locator("#messages")).to_contain_text("Still stuck this morning")
    expect(page.locator("#messages .who").first).to_contain_text("user · the user ·")
    expect(page.locator("#messages")).not_to_contain_text("user:900006")
    page.evaluate("window.sameDocument = true")  # gone if an action reloads the page
    page.locator("#note-text").fill(f"Asked the ULB's accountant ({size})")
    scrolled = page.evaluate("window.scrollY")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#messages")).to_contain_text(f"Asked the ULB's accountant ({size})")
    expect(page.locator(".flash")).to_have_text("Done: note.")
    assert page.evaluate("window.sameDocument === true"), "the action reloaded the whole page"
    assert page.evaluate("window.scrollY") >= scrolled * 0.5, "the action jumped back to the top"
    other = page.locator("#other-tickets")
    expect(other).to_contain_text("HD-000011")
    expect(other).to_contain_text("resolved")
    if size == "phone":
        bar = page.get_by_role("navigation", name="Ticket actions")
        box = bar.bounding_box()
        assert box is not None and box["y"] + box["height"] <= SIZES["phone"][1], "the action bar is off screen"
        bar.get_by_role("link", name="Reply").click()
        expect(page.locator("#reply-text")).to_be_in_viewport()
    else:
        expect(page.get_by_role("navigation", name="Ticket actions")).to_be_hidden()
    other.get_by_role("link", name="HD-000011").click()
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text("Fixed: yes")
    expect(feedback).to_contain_text("★★★★☆ (4/5)")
    expect(page.locator("#sla-clock")).to_contain_text("IST by meera")
