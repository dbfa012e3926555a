"""The console channel end to end: a real `helpdesk chat --json` process, killed and restarted. What the chat
filed is read with `helpdesk tickets` run in the test's process (tests.jsonchat.helpdesk_here): the chat
process is what these tests check, not that one."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jsonchat import JsonChat, helpdesk_env, helpdesk_here


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return helpdesk_env(database_url, tmp_path / "data")


@pytest.fixture
def chat(env: dict[str, str]) -> Iterator[JsonChat]:
    client = JsonChat(env)
    yield client
    client.close()


def walk_to_module_question(chat: JsonChat, user: str) -> None:
    chat.send(user, text="hello")
    chat.choose(user, "English")
    chat.choose(user, "Junior")
    chat.choose(user, "Jatni")
    chat.send(user, text="The attendance page shows an error and the muster roll total is wrong")
    if chat.last["state"] == "offering_faq":
        chat.choose(user, "not my problem")
    assert chat.last["state"] == "awaiting_module"


def test_a_label_picking_client_files_a_ticket_within_15_messages(chat: JsonChat, env: dict[str, str]) -> None:
    walk_to_module_question(chat, "asha")
    chat.choose("asha", "muster roll")
    chat.choose("asha", "not working")
    chat.choose("asha", "only for me")
    chat.choose("asha", "No")
    answer = chat.choose("asha", "file it")
    number = answer["ticket"]
    assert number and number.startswith("HD-")
    assert chat.sent <= 15
    assert answer["state"] == "filed"
    shown = helpdesk_here(env, "tickets", "show", number, "--format", "json")
    assert shown.exit_code == 0, shown.output
    ticket = json.loads(shown.stdout)
    assert (ticket["category"], ticket["priority"], ticket["module"]) == ("technical", "P2", "attendance")
    assert ticket["priority_reason"] == "your work has stopped and there is no workaround"
    assert ticket["route"] == {"team": "state_technical", "name": "State technical team (HUDD)"}
    said = [line["text"] for line in ticket["transcript"]]
    assert "The attendance page shows an error and the muster roll total is wrong" in said
    assert "Yes, file it" in said
    table = helpdesk_here(env, "tickets", "show", number)
    assert "Transcript" in table.stdout and number in table.stdout


def test_every_line_gets_exactly_one_answer_and_bad_lines_say_what_is_wrong(chat: JsonChat) -> None:
    bad = {
        "this is not json": "not valid JSON",
        "[1, 2]": "expected a JSON object",
        '{"text": "hi"}': '"user" is required',
        '{"user": "", "text": "hi"}': '"user" is required',
        '{"user": "u", "text": 5}': '"text" must be a string',
        '{"user": "u", "text": "a", "choice": "b"}': 'exactly one of "text" or "choice"',
        '{"user": "u"}': 'exactly one of "text" or "choice"',
        '{"user": "u", "text": "hi", "colour": "red"}': "unknown field(s): colour",
        '{"user": "u", "text": "hi", "id": [1]}': '"id" must be a string or a number',
    }
    for line, message in bad.items():
        answer = chat.send_raw(line)
        assert set(answer) == {"error"} and message in answer["error"], (line, answer)
    answer = chat.send("u", text="hello")
    assert answer["state"] == "awaiting_language" and answer["ticket"] is None
    assert [c["id"] for c in answer["replies"][-1]["choices"]] == ["en", "or", "hi"]


def test_killed_between_messages_the_conversation_continues_where_it_was(env: dict[str, str]) -> None:
    first = JsonChat(env)
    walk_to_module_question(first, "ravi")
    first.kill()
    second = JsonChat(env)
    answer = second.send("ravi", text="Bills")
    assert answer["state"] == "awaiting_category"
    second.choose("ravi", "bug")
    second.choose("ravi", "slowed")
    second.choose("ravi", "Yes")
    assert "Problem: The attendance page shows an error" in second.last["replies"][-1]["text"]
    second.close()


def test_a_repeated_message_id_after_a_kill_files_no_second_ticket(env: dict[str, str]) -> None:
    first = JsonChat(env)
    walk_to_module_question(first, "mina")
    for words in ("Payments", "How do I", "No urgency", "Yes"):
        first.choose("mina", words)
    filed = first.send("mina", choice="confirm", message_id="msg-77")
    assert filed["ticket"]
    first.kill()
    second = JsonChat(env)
    again = second.send("mina", choice="confirm", message_id="msg-77")
    assert again == {"replies": [], "state": "filed", "ticket": None}
    second.close()
    listed = json.loads(helpdesk_here(env, "tickets", "list", "--format", "json").stdout)
    assert [t["number"] for t in listed] == [filed["ticket"]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # exits before opening the database
def test_the_bot_refuses_to_start_on_an_invalid_knowledge_base(env: dict[str, str], tmp_path: Path) -> None:
    content = tmp_path / "kb" / "content"
    content.mkdir(parents=True)
    (content / "login.yaml").write_text("entries:\n  - id: Bad Id\n    question: ''\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "app", "chat", "--json"], input='{"user": "u", "text": "hi"}\n',
                            env=env | {"HELPDESK_KB_DIR": str(content)}, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert "helpdesk cannot start" in result.stderr
    assert f"{content / 'login.yaml'}:2" in result.stderr and "id" in result.stderr
    lint = helpdesk_here(env, "kb", "lint", str(content))
    assert lint.exit_code != 0
    assert f"{content / 'login.yaml'}:2" in lint.output
