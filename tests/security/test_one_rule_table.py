"""The rule table (api/rules.py) is the one place that says who may open a console page: no page checks a
permission of its own beside it, so changing a page's rule changes who gets it, and nothing else does."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from api.accounts import SqlAccounts
from api.rules import RULES, page
from app.wiring import Services
from tests.security.identity_helpers import PASSWORD, client_of, sign_in

PAGES = [("GET", "/console/accounts"), ("GET", "/console/queue")]  # not for a kb maintainer, by their rules


@pytest.mark.parametrize(("method", "path"), PAGES)
async def test_a_console_page_is_open_to_exactly_the_roles_its_rule_names(
    services: Services, first_app: FastAPI, monkeypatch: pytest.MonkeyPatch, method: str, path: str,
) -> None:
    async with services.sessions() as s, s.begin():
        await SqlAccounts(s).create("kiran", "kb_maintainer", PASSWORD, None, [])
    async with client_of(first_app) as browser:
        assert (await sign_in(browser, "kiran")).status_code == 303
        refused = await browser.request(method, path)
        monkeypatch.setitem(RULES, (method, path), page("kb_view"))  # a rule the kb maintainer's role holds
        opened = await browser.request(method, path)
    assert (refused.status_code, opened.status_code) == (403, 200)
