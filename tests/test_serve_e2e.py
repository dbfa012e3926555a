"""End to end with real processes: a user files through `helpdesk chat --json`, an operator works the
ticket through `helpdesk serve`, and the reply reaches that user in the console and nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.jsonchat import JsonChat, helpdesk_env, helpdesk_here
from tests.serving import serving
from tests.test_console_process import walk_to_module_question


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return helpdesk_env(database_url, tmp_path / "data")


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    with serving(env) as url:
        yield url


def test_a_console_ticket_is_worked_over_http_and_the_reply_reaches_only_that_user(
    server: str, env: dict[str, str]
) -> None:
    token = helpdesk_here(env, "tokens", "create", "--name", "priya", "--role", "operator").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    chat = JsonChat(env)
    walk_to_module_question(chat, "asha")
    for words in ("Bills", "not working", "everyone", "No"):
        chat.choose("asha", words)
    number = chat.choose("asha", "file it")["ticket"]
    walk_to_module_question(chat, "bina")  # another console user, mid-conversation

    queue = httpx.get(f"{server}/api/tickets", headers=headers).json()["items"]
    [listed] = [t for t in queue if t["number"] == number]
    assert listed["priority"] == "P1" and datetime.fromisoformat(listed["response_due_at"]).tzinfo is not None
    claimed = httpx.post(f"{server}/api/tickets/{number}/claim",
                         headers=headers | {"If-Match": f'"{listed["version"]}"'})
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "priya"
    assert httpx.post(f"{server}/api/tickets/{number}/notes", json={"text": "INTERNAL: server log says 500"},
                      headers=headers).status_code == 200
    assert httpx.post(f"{server}/api/tickets/{number}/reply", json={"text": "Please try again after 5 pm."},
                      headers=headers).status_code == 200

    other = chat.send("bina", text="status")
    assert not any("try again after 5 pm" in r["text"] for r in other["replies"])
    mine = chat.send("asha", text="status")
    texts = [r["text"] for r in mine["replies"]]
    assert texts[0] == f"Message from the helpdesk about your ticket {number}:\nPlease try again after 5 pm."
    assert not any("INTERNAL" in t for t in texts)
    chat.close()
    shown = httpx.get(f"{server}/api/tickets/{number}", headers=headers).json()
    assert [m["kind"] for m in shown["messages"]] == ["note", "reply"]
    assert shown["first_response_at"]
