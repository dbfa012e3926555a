"""Closing the loop: a resolution message carries its own "Fixed" / "Still not working" buttons, "Fixed" goes
straight to the 1-5 rating and a comment, and the answers land on the ticket, whatever the conversation
waits on when the user presses them."""

from __future__ import annotations

import pytest

from core.messages import Reply
from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat
from tests.flows.walks import Sessions, desk_does, file_ticket, ticket

RESOLVED = {
    "en": ("The helpdesk team has marked your ticket", "Is the problem fixed?", "Yes, it is fixed",
           "No, it still does not work"),
    "or": ("ସମାଧାନ ହୋଇଛି ବୋଲି ଚିହ୍ନିତ", "ସମସ୍ୟା ଠିକ ହୋଇଗଲା କି?", "ହଁ, ଠିକ ହୋଇଗଲା", "ନା, ଏବେ ବି କାମ କରୁନାହିଁ"),
    "hi": ("हल हुआ चिह्नित किया है", "क्या समस्या ठीक हो गई?", "हाँ, ठीक हो गई", "नहीं, अब भी काम नहीं कर रहा"),
}
RATINGS = {
    "en": ["1 (poor)", "2", "3", "4", "5 (excellent)"],
    "or": ["1 (ଖରାପ)", "2", "3", "4", "5 (ଉତ୍କୃଷ୍ଟ)"],
    "hi": ["1 (खराब)", "2", "3", "4", "5 (बहुत अच्छा)"],
}
COMMENT_SAVED = {"en": "the team will read your words", "or": "ଦଳ ଆପଣଙ୍କ କଥା ପଢ଼ିବେ", "hi": "टीम आपकी बात पढ़ेगी"}


async def _resolved(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str = "en"
) -> tuple[str, Reply]:
    """A filed ticket the team resolves; the resolution as the user's channel gets it."""
    number = await file_ticket(chat, language)
    await desk_does(sessions, settings, "resolve", number, "op-1", "Fixed in today's release.", None)
    [resolution] = await chat.engine.pending(chat.user)
    return number, resolution


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_fixed_on_the_resolution_message_leads_straight_to_the_rating_and_a_comment(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str
) -> None:
    number, resolution = await _resolved(chat, sessions, settings, language)
    told, question, fixed, not_fixed = RESOLVED[language]
    assert told in resolution.text and resolution.text.endswith(question)
    assert "Fixed in today's release." in resolution.text
    assert [(c.id, c.label) for c in resolution.choices] == [
        (f"fixed:{number}", fixed), (f"not_fixed:{number}", not_fixed)]
    await chat.send_choice(resolution.choices[0].id)  # the user never wrote first
    assert chat.labels == RATINGS[language]
    assert [c.id for r in chat.last for c in r.choices] == [f"rate:{number}:{n}" for n in range(1, 6)]
    await chat.pick(RATINGS[language][3])
    assert await chat.state() == "asking_comment"
    await chat.send("quick and kind, thank you")
    assert COMMENT_SAVED[language] in chat.text
    rated = await ticket(sessions, number)
    assert (rated.csat_fixed, rated.csat_rating, rated.csat_comment) == (True, 4, "quick and kind, thank you")
    await chat.send("hello again")
    assert question not in chat.text, "asked once"


async def test_the_comment_can_be_skipped_and_typed_numbers_answer_too(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number, _ = await _resolved(chat, sessions, settings)
    await chat.send("it works now")  # a channel without buttons: the question comes back as a numbered menu
    assert chat.labels[-3:] == ["Yes, it is fixed", "No, it still does not work", "My message is about something else"]
    await chat.send("1")
    await chat.send("5")
    await chat.send("1")  # "1. Skip"
    assert "Send a message any time" in chat.text and await chat.state() == "filed"
    rated = await ticket(sessions, number)
    assert (rated.csat_fixed, rated.csat_rating, rated.csat_comment) == (True, 5, None)


async def test_still_not_working_on_the_resolution_message_reopens_the_ticket(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number, resolution = await _resolved(chat, sessions, settings)
    await chat.send_choice(resolution.choices[1].id)
    assert f"I have reopened ticket {number}" in chat.text
    reopened = await ticket(sessions, number)
    assert (reopened.status, reopened.csat_fixed) == ("reopened", False)


async def test_a_press_in_the_middle_of_another_problem_rates_without_losing_it(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number, resolution = await _resolved(chat, sessions, settings)
    await chat.send("the muster roll total is wrong")
    await chat.send_choice("new_problem")  # not about the resolved ticket: a new problem, now in triage
    assert await chat.state() == "awaiting_module"
    await chat.send_choice(resolution.choices[0].id)  # then the old message's "Fixed"
    rating = next(r for r in chat.last if r.choices and r.choices[0].id.startswith("rate:"))
    assert [c.label for c in rating.choices] == RATINGS["en"] and number in rating.text
    assert "Which part of the app" in chat.last[-1].text, "the question it was on is asked again"
    await chat.send_choice(rating.choices[2].id)
    assert "Thank you for your rating" in chat.text and await chat.state() == "awaiting_module"
    assert (await ticket(sessions, number)).csat_rating == 3


async def test_a_button_of_a_ticket_no_longer_resolved_is_answered(
    chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number, resolution = await _resolved(chat, sessions, settings)
    await chat.send_choice(resolution.choices[1].id)  # reopened
    await chat.send_choice(resolution.choices[0].id)  # the stale "Fixed"
    assert f"ticket {number} is not marked resolved any more" in chat.text
    assert (await ticket(sessions, number)).csat_fixed is False


async def test_another_users_ticket_cannot_be_rated(
    engine: Engine, chat: ScriptedChat, sessions: Sessions, settings: Settings
) -> None:
    number, _ = await _resolved(chat, sessions, settings)
    other = ScriptedChat(engine, "u2")
    await other.send("hello")
    await other.send_choice(f"rate:{number}:1")
    assert "That option belongs to an earlier question" in other.text
    assert (await ticket(sessions, number)).csat_rating is None
