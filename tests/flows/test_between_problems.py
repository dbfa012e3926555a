"""One rule for a message between problems: right after the team's question it goes to that ticket at once
(waiting on the user or not), with a one-tap "this is a new problem" undo; a stale button is answered; nothing
the user wrote is dropped."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.fakes import ScriptedChat
from tests.flows.walks import Sessions, desk_does, file_ticket, messages, ticket

ADDED = {"en": "I added your message to ticket", "or": "ଆପଣଙ୍କ ସନ୍ଦେଶ ଟିକେଟ", "hi": "मैंने आपका संदेश टिकट"}
UNDO = {"en": "This is a new problem", "or": "ଏହା ଏକ ନୂଆ ସମସ୍ୟା", "hi": "यह नई समस्या है"}


@pytest.mark.parametrize("language", ["en", "or", "hi"])
@pytest.mark.parametrize("waiting", [False, True], ids=["replied", "waiting"])
async def test_the_answer_to_the_teams_question_goes_to_the_ticket_at_once(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str, waiting: bool
) -> None:
    number = await file_ticket(chat, language)
    await desk_does(sessions, settings, "reply", number, "op-1", "Which bill number fails?", None)
    if waiting:
        await desk_does(sessions, settings, "claim", number, "op-1", None)
        await desk_does(sessions, settings, "wait_on_user", number, "op-1", None)
    await chat.send("bill 42 of ward 7")
    assert ADDED[language] in chat.text and number in chat.text
    assert chat.labels == [UNDO[language]]
    assert (await messages(sessions, settings, number))[-1].text == "bill 42 of ward 7"
    assert (await ticket(sessions, number)).status != "waiting_on_user", "a paused clock runs again"
    assert await chat.state() == "filed"


async def test_the_undo_moves_the_message_off_the_ticket_into_a_new_problem(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number = await file_ticket(chat)
    await desk_does(sessions, settings, "reply", number, "op-1", "Which bill number fails?", None)
    await chat.send("the muster roll total is wrong")
    assert [m.text for m in await messages(sessions, settings, number) if m.kind == "user"] == [
        "the muster roll total is wrong"], "on the ticket at once"
    await chat.pick("This is a new problem")
    assert await chat.state() == "awaiting_module"
    assert [m.text for m in await messages(sessions, settings, number) if m.kind == "user"] == []
    for choice in ("attendance", "functional", "me_stopped", "no", "confirm"):
        await chat.send_choice(choice)
    assert chat.ticket and chat.ticket != number
    assert (await ticket(sessions, chat.ticket)).description == "the muster roll total is wrong"


async def test_an_undo_after_the_next_message_is_answered_and_keeps_the_message(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number = await file_ticket(chat)
    await desk_does(sessions, settings, "reply", number, "op-1", "Which bill number fails?", None)
    await chat.send("bill 42")
    undo = chat.last[-1].choices[0].id
    await chat.send("status")
    await chat.send_choice(undo)
    assert f"Your message stays on ticket {number}" in chat.text
    assert [m.text for m in await messages(sessions, settings, number) if m.kind == "user"] == ["bill 42"]


async def test_without_a_question_from_the_team_the_user_says_what_the_message_is_about(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number = await file_ticket(chat)
    await chat.send("also the estimate page is slow")
    assert f"You have a ticket open with the helpdesk ({number})" in chat.text
    await chat.pick("add it")
    assert [m.text for m in await messages(sessions, settings, number) if m.kind == "user"] == [
        "also the estimate page is slow"]


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_yes_add_it_after_the_ticket_was_resolved_is_answered_and_keeps_the_message(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str
) -> None:
    meanwhile = {"en": "was resolved while you were writing", "or": "ଆପଣ ଲେଖୁଥିବା ସମୟରେ",
                 "hi": "आपके लिखते समय"}[language]
    number = await file_ticket(chat, language)
    await chat.send("it fails for bill 42 too")
    add = chat.last[-1].choices[0].id
    await desk_does(sessions, settings, "resolve", number, "op-1", None, None)
    await chat.send_choice(add)  # the old "Yes, add it"
    assert meanwhile in chat.text and number in chat.text
    assert await chat.state() == "asking_fixed"
    await chat.send_choice(f"not_fixed:{number}")
    reopened = await ticket(sessions, number)
    assert reopened.status == "reopened"
    assert (await messages(sessions, settings, number))[-1].text == "it fails for bill 42 too"


@pytest.mark.parametrize("language", ["en", "or", "hi"])
@pytest.mark.parametrize("typed", ["1", "label"])
async def test_on_a_channel_without_buttons_the_numbered_undo_works_typed(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str, typed: str
) -> None:
    """The console chat (and any channel that numbers the choices) shows "1. This is a new problem": typing
    "1" or the words undoes, it does not become another message on the ticket."""
    number = await file_ticket(chat, language)
    await desk_does(sessions, settings, "reply", number, "op-1", "Which bill number fails?", None)
    await chat.send("the muster roll total is wrong")
    await chat.send("1" if typed == "1" else UNDO[language])
    assert await chat.state() == "awaiting_module"
    assert [m.text for m in await messages(sessions, settings, number) if m.kind == "user"] == []
    await chat.send("1")  # now "1" answers the module question, as any numbered menu
    assert await chat.state() == "awaiting_category"


async def test_a_typed_one_later_is_a_message_again(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number = await file_ticket(chat)
    await desk_does(sessions, settings, "reply", number, "op-1", "How many bills fail?", None)
    await chat.send("bill 42 fails")
    await chat.send("status")
    await chat.send("1")  # the undo applied only to the next message
    assert await chat.state() != "awaiting_module"
    assert next(m.text for m in await messages(sessions, settings, number) if m.kind == "user") == "bill 42 fails"
