"""End to end: `helpdesk serve --telegram polling` as a real process, long-polling our fake Bot API.

A Telegram user files a ticket by pressing buttons; an operator answers it through the HTTP API and the
outbox worker pushes the answer into the user's chat without the user writing again (one test, one server).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.jsonchat import helpdesk_env, helpdesk_here
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.serving import serving

ASHA = 7001


@pytest.fixture
def server(env: dict[str, str], fake: FakeBotApi) -> Iterator[str]:
    with serving(env, fake, "polling") as url:
        yield url


def press(fake: FakeBotApi, words: str) -> list[str]:
    before = len(fake.sent(ASHA))
    fake.user_presses(ASHA, words)
    return fake.wait_for_replies(ASHA, before)


def say(fake: FakeBotApi, text: str) -> list[str]:
    before = len(fake.sent(ASHA))
    fake.user_says(ASHA, text)
    return fake.wait_for_replies(ASHA, before)


def file_a_ticket_by_buttons(fake: FakeBotApi) -> str:
    """From /start to a filed ticket; returns the bot's last words."""
    walk_to_confirm(fake)
    return press(fake, "file it")[-1]


def walk_to_confirm(fake: FakeBotApi) -> None:
    """From /start to the bot's "Shall I file this ticket?"."""
    say(fake, "/start")
    press(fake, "Junior")
    press(fake, "Jatni")
    say(fake, "The attendance page shows an error and the muster roll total is wrong")
    if "not my problem" in json.dumps(fake.sent(ASHA)[-1].get("reply_markup")):
        press(fake, "not my problem")
    for words in ("muster roll", "not working", "only for me", "No"):
        press(fake, words)


def test_a_telegram_user_files_a_ticket_by_pressing_buttons_and_an_operators_reply_arrives_in_the_chat(
    server: str, env: dict[str, str], fake: FakeBotApi
) -> None:
    fake.inject({"a_kind_from_the_future": {"chat": {"id": ASHA}}})  # acknowledged, logged, no crash
    calls_before, polls_before = len(fake.calls()), len(fake.calls("getUpdates"))
    said = file_a_ticket_by_buttons(fake)
    [ticket] = json.loads(helpdesk_here(env, "tickets", "list", "--format", "json").stdout)
    assert ticket["number"] in said
    assert (ticket["channel"], ticket["user_id"], ticket["module"]) == ("telegram", str(ASHA), "attendance")
    questions = [m for m in fake.sent(ASHA) if m.get("reply_markup")]
    assert len(questions) >= 7, "every menu came as an inline keyboard"
    assert sorted(fake.answered()) == sorted(fake.pressed()), "every button press was answered"
    calls = [c for c in fake.calls()[calls_before:] if c.method != "getUpdates"]
    polls = len(fake.calls("getUpdates")) - polls_before
    print(f"\nBot API calls for one conversation (polling): {len(calls)} "
          f"({', '.join(f'{m} {sum(c.method == m for c in calls)}' for m in sorted({c.method for c in calls}))})"
          f" + {polls} getUpdates")

    # and an operator's reply over HTTP arrives in the user's chat without the user writing again (the same
    # server and ticket: a second test would start a server and walk the buttons again for it)
    token = helpdesk_here(env, "tokens", "create", "--name", "priya", "--role", "operator").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    [listed] = httpx.get(f"{server}/api/tickets", headers=headers).json()["items"]
    before = len(fake.sent(ASHA))
    answered = httpx.post(f"{server}/api/tickets/{listed['number']}/reply",
                          json={"text": "Please try again after 5 pm (use *Save draft* first)."}, headers=headers)
    assert answered.status_code == 200
    [pushed] = fake.wait_for_replies(ASHA, before, timeout_s=30)
    assert pushed == (f"Message from the helpdesk about your ticket {listed['number']}:\n"
                      "Please try again after 5 pm (use *Save draft* first).")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # exits before opening the database
def test_serve_with_telegram_but_no_token_says_so_and_exits_2(database_url: str, tmp_path: Path) -> None:
    # in this process (tests.jsonchat.helpdesk_here): the refusal comes before any server starts
    result = helpdesk_here(helpdesk_env(database_url, tmp_path / "data"), "serve", "--telegram", "polling")
    assert result.exit_code == 2
    assert "HELPDESK_TELEGRAM_TOKEN" in result.stderr
