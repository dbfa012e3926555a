"""The operator's workspace in a real browser, at a desk (1366x800) and on a phone (360x740): the findings of
issue 22 that tests/web/test_operators_console.py left: who holds a ticket and bulk actions (2), the user's
rating and comment (7), duplicates, known-problem pages, saved filters and keyboard shortcuts (8).

One `helpdesk serve` for the module, on SQLite; the desk operations underneath are tested on both databases
in tests/api/test_ownership_and_duplicates.py and tests/tickets/test_saved_filters.py.
"""

from __future__ import annotations

import asyncio
import csv
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
from tickets.operators import SqlOperators
from tickets.problems import SqlProblems
from tickets.store import SqlTicketStore, TicketDraft

pytestmark = pytest.mark.xdist_group("operators_workspace")  # one worker (make test: --dist loadgroup)

SIZES = {"desk": (1366, 800), "phone": (360, 740)}
# (description, user) filed in this order: HD-000001, HD-000002, ...
TICKETS = (
    ("Bill approval button does nothing", "800001"),  # 1: arjun's, taken over at the desk
    ("Bill approval button does nothing on my tablet", "800002"),  # 2: arjun's, taken over on the phone
    *((f"Muster roll {n} cannot be submitted", f"80001{n}") for n in range(6)),  # 3-5 desk, 6-8 phone: bulk
    ("Measurement book entry vanished after saving", "800020"),  # 9: survives a merge (desk)
    ("Measurement book entry vanished again", "800020"),  # 10: the same user's duplicate, merged into 9
    ("Estimate revision shows a blank page", "800021"),  # 11: survives a merge (phone)
    ("Estimate revision page blank", "800021"),  # 12: merged into 11
    ("Wage payment file rejected by the bank", "800030"),  # 13: founds the desk's problem
    ("Wage payment file rejected by the bank today", "800031"),  # 14: founds the phone's problem
    ("Bank rejects the wage file", "800032"),  # 15: linked to the desk's problem in the test
    ("Wage file rejected by bank", "800033"),  # 16: linked to the phone's problem in the test
    ("Password reset link expired", "800040"),  # 17: resolved, rated 2 with a comment
    ("ବିଲ ପେଜ ଖୋଲୁନାହିଁ", "800050"),  # 18: a user who writes Odia (canned responses in their language)
)
TAKE_OVER = {"desk": "HD-000002", "phone": "HD-000001"}
BULK = {"desk": ("HD-000003", "HD-000004", "HD-000005"), "phone": ("HD-000006", "HD-000007", "HD-000008")}
MERGE = {"desk": ("HD-000010", "HD-000009"), "phone": ("HD-000012", "HD-000011")}  # (duplicate, survivor)
PROBLEM = {"desk": (1, "HD-000015"), "phone": (2, "HD-000016")}  # (problem id, the ticket linked in the test)
SERVED: dict[str, Settings] = {}


def _in_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run database work beside Playwright's event loop; its exception, if any, is raised here."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as err:  # handed to the test's thread
            failed.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if failed:
        raise failed[0]


async def _seed(settings: Settings) -> None:
    services = build_services(settings)
    try:
        for description, user in TICKETS:
            async with services.sessions() as s, s.begin():
                await SqlTicketStore(s, settings.ticket_prefix, services.due).file(TicketDraft(
                    channel="telegram", user_id=user, role="junior_engineer", ulb="od.jatni",
                    language="or" if user == "800050" else "en",
                    module="bills", category="technical", priority="P2", priority_reason="seeded",
                    description=description, team="l1"))
        async with services.sessions() as s, s.begin():
            operators = SqlOperators(s, settings)
            for name in ("meera", "arjun", "vikram"):
                await operators.create(name, "operator")
            await operators.set_availability("meera", on_shift=True)
            await operators.set_availability("vikram", on_shift=True, away=True)
            desk = SqlTicketDesk(s, settings, services.due)
            for number in ("HD-000001", "HD-000002"):
                await desk.assign(number, "arjun", "arjun", None)
            await desk.resolve("HD-000005", "meera", "Re-sent the muster roll.", None)  # bulk close takes it
            await desk.resolve("HD-000008", "meera", "Re-sent the muster roll.", None)
            await desk.resolve("HD-000017", "meera", "Sent a new reset link.", None)
            problems = SqlProblems(s, settings, services.due)
            for number in ("HD-000013", "HD-000014"):
                await problems.create("meera", [number], f"The bank rejects wage files ({number})",
                                      team="state_technical")
        async with services.sessions() as s, s.begin():
            feedback = SqlTicketFeedback(s, settings, services.due)
            await feedback.fixed("HD-000017", "800040")
            await feedback.rate("HD-000017", "800040", 2)
            await feedback.comment("HD-000017", "800040", "It took three days to get a link that works")
    finally:
        await services.db.dispose()


async def _bump(settings: Settings, number: str) -> None:
    """Someone else changes the ticket (a note) after the queue was loaded."""
    services = build_services(settings)
    try:
        async with services.sessions() as s, s.begin():
            await SqlTicketDesk(s, settings, services.due).note(number, "arjun", "called the ULB")
    finally:
        await services.db.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served console with two signed-in operators, a roster with shifts, and the seeded tickets."""
    tmp = tmp_path_factory.mktemp("workspace")
    url = f"sqlite:///{tmp / 'helpdesk.db'}"
    env = helpdesk_env(url, tmp / "data") | {"HELPDESK_KB_DIR": str(kb_copy(tmp))}
    with serving(env) as served:
        settings = Settings(database_url=url, data_dir=tmp / "data", kb_dir=kb_copy(tmp))
        SERVED["settings"] = settings
        _in_thread(_seed(settings))
        for name in ("meera", "arjun"):
            add_user(env, name, "operator")
        add_user(env, "kavya", "kb_maintainer")
        yield served


def _operator(browser: Browser, console: str, size: str, name: str = "meera") -> Page:
    page = new_page(browser, *SIZES[size])
    sign_in(page, console, name)
    expect(page).to_have_url(f"{console}/console/queue")
    return page


def _fits(page: Page, size: str) -> None:
    assert page.locator("html").evaluate("html => html.scrollWidth") <= SIZES[size][0], "wider than the screen"


@pytest.mark.parametrize("size", SIZES)
def test_finding_2_taking_over_warns_and_reassigning_lists_who_is_on_shift_with_a_reason(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    number = TAKE_OVER[size]
    page.goto(f"{console}/console/tickets/{number}")
    expect(page.locator("#assignee")).to_have_text("arjun")
    expect(page.get_by_role("button", name="Claim", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Take over from arjun…").click()
    warning = page.locator("#problem")
    expect(warning).to_contain_text(f"ticket {number} is assigned to arjun: confirm that you take it over")
    expect(page.locator("#assignee")).to_have_text("arjun")  # nothing taken yet
    warning.get_by_label("Why you take it over").fill("arjun is on leave today")
    warning.get_by_role("button", name="Yes, take it over from arjun").click()
    expect(page.locator("#assignee")).to_have_text("meera")
    expect(page.locator("#audit")).to_contain_text("arjun is on leave today")

    who = page.locator("#assign-to option")
    expect(who.nth(1)).to_have_text("meera · on shift")  # on shift first, then the rest by name
    expect(page.locator("#assign-to")).to_contain_text("arjun · off shift")
    expect(page.locator("#assign-to")).to_contain_text("vikram · away")
    page.locator("#assign-to").select_option("arjun")
    page.get_by_role("button", name="Reassign").click()  # no reason: the browser refuses to send the form
    expect(page.locator("#assignee")).to_have_text("meera")
    page.get_by_label("Assignment reason").fill("arjun knows this ULB's bills")
    page.get_by_role("button", name="Reassign").click()
    expect(page.locator("#assignee")).to_have_text("arjun")
    expect(page.locator("#audit")).to_contain_text("arjun knows this ULB's bills")
    _fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_finding_2_bulk_priority_assign_and_close_report_each_ticket(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    first, second, resolved = BULK[size]
    page.goto(f"{console}/console/queue?q=muster&status=")

    def tick(*numbers: str) -> None:
        for number in numbers:
            page.get_by_label(f"Select {number}").check()

    tick(first, second)
    page.locator("#bulk-action").select_option("set_priority")
    page.locator("#bulk-priority").select_option("P1")
    page.locator("#bulk-reason").fill("the whole ULB's wages are held up")
    page.get_by_role("button", name="Apply to ticked").click()
    report = page.locator("#bulk-report")
    expect(report.get_by_role("heading")).to_have_text("Bulk set priority: 2 done")
    expect(page.locator(".tickets li", has_text=first).locator(".badge.P1")).to_be_visible()

    tick(first, second)  # the queue shows each at its new version
    _in_thread(_bump(SERVED["settings"], second))  # someone changes one after the queue was loaded
    page.locator("#bulk-action").select_option("assign")
    page.locator("#bulk-operator").select_option("arjun")
    page.get_by_role("button", name="Apply to ticked").click()
    expect(report.get_by_role("heading")).to_have_text("Bulk assign: 1 done, 1 not")
    expect(report.locator("li", has_text=first)).to_have_text(f"{first}: done")
    expect(report.locator("li.error", has_text=second)).to_contain_text("reload it")
    expect(page.locator(".tickets li", has_text=first)).to_contain_text("arjun")

    tick(first, resolved)
    page.locator("#bulk-action").select_option("close")
    page.get_by_role("button", name="Apply to ticked").click()
    expect(report.get_by_role("heading")).to_have_text("Bulk close: 1 done, 1 not")
    expect(report.locator("li.error", has_text=first)).to_contain_text("cannot close a ticket that is open")
    expect(report.locator("li", has_text=resolved)).to_have_text(f"{resolved}: done")
    if size == "desk":
        shoot(page, "console-bulk-desk")
    _fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_finding_7_the_users_rating_and_comment_are_on_the_ticket(console: str, browser: Browser, size: str) -> None:
    page = _operator(browser, console, size)
    page.goto(f"{console}/console/tickets/HD-000017")
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text("Fixed: yes")
    expect(feedback).to_contain_text("★★☆☆☆ (2/5)")
    expect(feedback.locator("#csat-comment")).to_have_text("It took three days to get a link that works")


@pytest.mark.parametrize("size", SIZES)
def test_finding_8_a_duplicate_is_merged_its_user_told_and_both_tickets_say_so(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    duplicate, survivor = MERGE[size]
    page.goto(f"{console}/console/tickets/{duplicate}")
    expect(page.locator("#other-tickets")).to_contain_text(survivor)  # the same user's other ticket
    duplicates = page.locator("#duplicates")
    duplicates.get_by_label("Link a duplicate").fill("HD-000017")
    duplicates.get_by_role("button", name="Link").click()
    expect(page.locator("#links")).to_contain_text("duplicate HD-000017")
    duplicates.get_by_label("Merge this ticket into another").fill(survivor)
    duplicates.get_by_label("Merge reason").fill("the same entry, reported twice")
    duplicates.get_by_role("button", name="Merge").click()
    expect(page.locator("#status")).to_have_text("closed")
    expect(page.locator("#merged-into")).to_contain_text(f"Merged into {survivor}")
    expect(page.locator("#deliveries")).to_contain_text(f"ticket merged: queued — now followed up in {survivor}")
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)
    expect(page.locator("#audit")).to_contain_text(f"merged into {survivor}: the same entry, reported twice")
    page.locator("#duplicates").scroll_into_view_if_needed()
    shoot(page, f"console-merge-{size}", full_page=size == "desk")
    page.locator("#merged-into").get_by_role("link", name=survivor).click()
    expect(page.locator("#links")).to_contain_text(f"merged from {duplicate}")
    expect(page.locator("#audit")).to_contain_text(f"{duplicate} merged into this ticket")
    _fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_finding_8_known_problem_pages_link_broadcast_and_mark_fixed(
    console: str, browser: Browser, size: str
) -> None:
    page = _operator(browser, console, size)
    problem_id, number = PROBLEM[size]
    page.goto(f"{console}/console/problems")
    expect(page.get_by_role("heading", level=1)).to_have_text("Known problems")
    page.get_by_role("link", name=re.compile(rf"The bank rejects wage files \(HD-0000{12 + problem_id}\)")).click()
    expect(page).to_have_url(f"{console}/console/problems/{problem_id}")
    page.get_by_label("Link tickets").fill(number)
    page.get_by_role("button", name="Link").click()
    expect(page.locator(".flash")).to_have_text("Done: tickets linked.")
    expect(page.locator("#problem-tickets")).to_contain_text(number)
    page.get_by_label("Tell every linked user").fill("The bank's server is back; please upload the file again.")
    page.get_by_role("button", name="Send to 2 users").click()
    expect(page.locator(".flash")).to_have_text("Done: broadcast sent to 2 users.")
    page.get_by_label("Mark fixed").fill("The bank renewed its certificate")
    page.get_by_role("button", name="Mark fixed").click()
    expect(page.locator("#problem-status")).to_have_text("fixed")
    expect(page.locator("#problem-tickets")).to_contain_text("resolved")
    expect(page.locator("#problem-audit")).to_contain_text("The bank renewed its certificate")
    if size == "desk":
        shoot(page, "console-problem-desk")
    page.get_by_label("Link tickets").wait_for(state="detached")
    _fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_finding_8_saved_filters_and_keyboard_shortcuts(console: str, browser: Browser, size: str) -> None:
    page = _operator(browser, console, size, "arjun")
    page.goto(f"{console}/console/queue?priority=P2&ulb=od.jatni")
    page.get_by_label("Name of this filter").fill(f"P2 Jatni {size}")
    page.get_by_role("button", name="Save this filter").click()
    mine = page.get_by_role("navigation", name="My saved filters")
    expect(mine.get_by_role("link", name=f"P2 Jatni {size}")).to_be_visible()
    page.goto(f"{console}/console/queue")
    page.get_by_role("navigation", name="My saved filters").get_by_role("link", name=f"P2 Jatni {size}").click()
    expect(page).to_have_url(f"{console}/console/queue?priority=P2&ulb=od.jatni")
    assert page.locator(".tickets li .badge.P1").count() == 0

    page.locator("h1").click()  # nothing focused that takes typing
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    page.keyboard.press("j")
    rows = page.locator("#queue .tickets > li")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    first = rows.nth(0).locator("strong").inner_text()
    page.keyboard.press("x")
    expect(page.get_by_label(f"Select {first}")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{console}/console/tickets/{first}")
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("r stays in the box")
    expect(page.locator("#reply-text")).to_have_value("r stays in the box")
    page.go_back()
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()

    page.goto(f"{console}/console/queue")
    page.get_by_role("button", name=f"Delete the filter P2 Jatni {size}").click()
    expect(page.get_by_role("link", name=f"P2 Jatni {size}")).to_have_count(0)


@pytest.mark.parametrize("size", SIZES)
def test_finding_8_the_weekly_report_downloads_as_csv(console: str, browser: Browser, size: str) -> None:
    page = _operator(browser, console, size)
    page.goto(f"{console}/console/dashboard")
    export = page.locator("#export")
    with page.expect_download() as every:
        export.get_by_role("link", name="every ticket").click()
    assert re.fullmatch(r"tickets-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv", every.value.suggested_filename)
    with open(every.value.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) >= len(TICKETS)
    first = next(r for r in rows if r["number"] == "HD-000001")
    assert (first["ulb"], first["ulb_name"], first["category"], first["tier"]) == (
        "od.jatni", "Jatni", "technical", "l1")
    assert first["filed_at"].endswith("+05:30") and first["sla"] in ("pending", "missed")
    assert next(r for r in rows if r["number"] == "HD-000017")["resolution_minutes"].isdigit()
    with page.expect_download() as summed:
        export.get_by_role("link", name="by ULB, category, priority and tier").click()
    with open(summed.value.path(), encoding="utf-8-sig", newline="") as file:
        groups = list(csv.DictReader(file))
    assert sum(int(g["tickets"]) for g in groups) == len(rows)
    assert {g["ulb"] for g in groups} == {"od.jatni"}

    page.goto(f"{console}/console/queue?q=muster&status=")  # the queue or a search, as it shows now
    shown = [n.strip() for n in page.locator(".tickets li strong").all_inner_texts()]
    with page.expect_download() as listed:
        page.get_by_role("link", name="Download this list (CSV)").click()
    with open(listed.value.path(), encoding="utf-8-sig", newline="") as file:
        lines = list(csv.DictReader(file))
    assert [line["number"] for line in lines] == shown and len(shown) == 6
    assert "description" not in lines[0] and lines[0]["ulb_name"] == "Jatni"


@pytest.mark.parametrize("size", SIZES)
def test_finding_8_canned_responses_are_data_in_three_languages_with_placeholders(
    console: str, browser: Browser, size: str
) -> None:
    maintainer = new_page(browser, *SIZES[size])
    sign_in(maintainer, console, "kavya")
    maintainer.get_by_role("navigation", name="Console").get_by_role("link", name="Canned responses").click()
    expect(maintainer.get_by_role("form", name="Canned response Ask for a screenshot")).to_be_visible()
    new = maintainer.get_by_role("form", name="New canned response")
    new.get_by_label("Title").fill(f"Server restarted ({size})")
    new.get_by_label("English").fill("{name} here: the server was restarted; please retry ticket {number}.")
    new.get_by_label("Odia").fill("ମୁଁ {name}: ସର୍ଭର ପୁଣି ଚାଲୁ ହେଲା; ଟିକେଟ {number} ପାଇଁ ପୁଣି ଚେଷ୍ଟା କରନ୍ତୁ।")
    new.get_by_role("button", name="Add").click()
    expect(maintainer.locator(".flash")).to_have_text("Done: saved.")
    edited = maintainer.get_by_role("form", name=f"Canned response Server restarted ({size})")
    expect(edited.get_by_label("Hindi")).to_have_value("")
    edited.get_by_label("Hindi").fill("{name}: सर्वर फिर से चालू है; टिकट {number} पर फिर से कोशिश करें।")
    edited.get_by_role("button", name="Save").click()
    expect(maintainer.locator(".flash")).to_have_text("Done: saved.")

    page = _operator(browser, console, size)
    page.goto(f"{console}/console/tickets/HD-000018")  # the user writes Odia
    odia = "ମୁଁ meera: ସର୍ଭର ପୁଣି ଚାଲୁ ହେଲା; ଟିକେଟ HD-000018 ପାଇଁ ପୁଣି ଚେଷ୍ଟା କରନ୍ତୁ।"
    page.locator("#canned").select_option(value=odia)
    expect(page.locator("#reply-text")).to_have_value(odia)
    page.goto(f"{console}/console/tickets/HD-000003")  # an English one
    english = "meera here: the server was restarted; please retry ticket HD-000003."
    page.locator("#canned").select_option(value=english)
    expect(page.locator("#reply-text")).to_have_value(english)
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="Canned responses")).to_have_count(0)
