"""Browser tests: a real `helpdesk serve` process, and the system Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from core.settings import Settings
from tests.api.conftest import app, client, file_ticket, services  # noqa: F401 (the real app, in process)
from tests.jsonchat import helpdesk_env, helpdesk_here
from tests.serving import serving

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"  # noqa: S105 (the test accounts' password)



def kb_copy(tmp_path: Path) -> Path:
    """A copy of the knowledge base that edits may change (never the repository's own files)."""
    kb = tmp_path / "kb" / "content"
    if not kb.exists():
        shutil.copytree(ROOT / "kb" / "content", kb)
        shutil.copy(ROOT / "kb" / "synonyms.yaml", kb.parent / "synonyms.yaml")
    return kb


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", kb_dir=kb_copy(tmp_path))


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The server's environment, with its own copy of the knowledge base."""
    return helpdesk_env(database_url, tmp_path / "data") | {"HELPDESK_KB_DIR": str(kb_copy(tmp_path))}


def add_user(env: dict[str, str], name: str, role: str, team: str | None = None) -> None:
    """A console account, made as an admin makes one (`helpdesk users create`), in this process: the account is
    what a test needs, not that command's process."""
    extra = ["--team", team] if team else []
    done = helpdesk_here(env, "users", "create", name, "--role", role, *extra, stdin=PASSWORD + "\n")
    assert done.exit_code == 0, done.output


@pytest.fixture
def server(env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[str]:
    browser: Browser | None = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    with serving(env) as url:
        yield url
        close_pages(browser)


def close_pages(browser: Browser | None) -> None:
    """Closes the test's pages before its server stops: an open chat page holds a long poll, which a stopping
    server would wait out (24 s a test, measured) before it exits."""
    for context in browser.contexts if browser else []:
        context.close()


@pytest.fixture(scope="module")  # not longer: Playwright's sync API holds an event loop while it runs,
def browser() -> Iterator[Browser]:  # which the asyncio tests of later modules could not start beside
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Chromium: apt-get install chromium (scripts/debian-packages.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield launched
        launched.close()


def new_page(browser: Browser, width: int = 1100, height: int = 900) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    return context.new_page()


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot under .artifacts/screenshots (ignored by git; `make screenshots` copies some to docs/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page: Page, server: str, name: str, start: str = "/console") -> None:
    page.goto(f"{server}{start}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
