"""A greeting alone ("hi", "ନମସ୍କାର", "नमस्ते") answers no question: the question is asked again, without
"that is not one of the options" and without becoming a problem description (issue 21: the web chat's first
message, typed under the greeting's role question, was refused)."""

from __future__ import annotations

import pytest

from core.messages import ASKS, PROFILE, ULB_FIELD, Awaits, Waiting
from tests.fakes import ScriptedChat

GREETING = {"en": "Hello!", "or": "ନମସ୍କାର", "hi": "नमस्ते"}
NOT_AN_OPTION = {"en": "is not one of the options", "or": "ବିକଳ୍ପଗୁଡ଼ିକ ମଧ୍ୟରୁ ନୁହେଁ", "hi": "विकल्पों में नहीं है"}
ROLE = {"en": "What is your role?", "or": "ଆପଣଙ୍କ ଭୂମିକା (ପଦବୀ) କ'ଣ?", "hi": "आपकी भूमिका (पद) क्या है?"}
PROBLEM = {"en": "Please describe your problem", "or": "ଦୟାକରି ଆପଣଙ୍କ ସମସ୍ୟା", "hi": "कृपया अपनी समस्या"}


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_a_greeting_at_a_question_asks_it_again_without_a_complaint(chat: ScriptedChat, language: str) -> None:
    await chat.send("hello")
    await chat.send_choice(language)
    await chat.send(GREETING[language])  # under the role question, as the web chat's first message is
    assert await chat.state() == "awaiting_role"
    assert NOT_AN_OPTION[language] not in chat.text and chat.last[-1].text == ROLE[language]
    await chat.send_choice("junior_engineer")
    await chat.send_choice("od.jatni")
    await chat.send(GREETING[language])  # not a problem description
    assert await chat.state() == "awaiting_problem" and PROBLEM[language] in chat.last[-1].text


async def test_a_second_hi_at_the_language_menu_is_a_greeting_not_hindi(chat: ScriptedChat) -> None:
    """"hi" spells हिन्दी's option id, but an English user greeting twice must not land in Hindi."""
    await chat.send("hello")
    await chat.send("hi")
    assert await chat.state() == "awaiting_language"
    assert "is not one of the options" not in chat.text
    assert {choice.id for choice in chat.last[-1].choices} >= {"en", "or", "hi"}  # the menu, asked again
    await chat.send("Hindi")  # the language's name, in any script, still picks it
    assert await chat.state() == "awaiting_role" and chat.last[-1].text == ROLE["hi"]


async def test_words_around_a_greeting_are_words(chat: ScriptedChat) -> None:
    await chat.send("hello")
    await chat.send("हिन्दी")
    await chat.send("1")
    await chat.send("1")
    await chat.send("नमस्ते, बिल सेव नहीं हो रहा")
    assert await chat.state() != "awaiting_problem"


async def test_each_question_names_the_field_its_answer_fills_so_a_channel_can_answer_it(chat: ScriptedChat) -> None:
    await chat.send("hello")
    assert chat.last[-1].meta[ASKS] == f"{PROFILE}language"
    await chat.send_choice("en")
    assert chat.last[-1].meta[ASKS] == f"{PROFILE}role"
    await chat.send_choice("junior_engineer")
    assert chat.last[-1].meta[ASKS] == ULB_FIELD
    await chat.send_choice("od.jatni")
    assert chat.last[-1].meta[ASKS] == "case.description"


async def test_a_channel_told_what_the_conversation_waits_for_files_a_ticket_without_its_states(
    chat: ScriptedChat,
) -> None:
    async def waiting() -> Waiting:
        return await chat.engine.waiting_for(chat.user)

    assert await waiting() == Waiting(Awaits.GREETING)
    await chat.send("hello")
    assert (await waiting()).awaits is Awaits.LANGUAGE
    await chat.send_choice("en")
    assert await waiting() == Waiting(Awaits.FIELD, f"{PROFILE}role")
    await chat.pick("Junior")
    await chat.pick("Jatni")
    assert (await waiting()).awaits is Awaits.PROBLEM
    await chat.send("forgot password")
    offer = await waiting()
    assert offer.awaits is Awaits.OFFER and offer.goes_on in {c.id for c in chat.last[-1].choices}
    await chat.send_choice(offer.goes_on or "")
    assert await waiting() == Waiting(Awaits.FIELD, "case.module")
    for label in ("Bills", "not working", "only for me", "No"):
        await chat.pick(label)
    summary = await waiting()
    assert summary.awaits is Awaits.CONFIRMATION
    await chat.send_choice(summary.goes_on or "")
    assert chat.ticket is not None
    assert await waiting() == Waiting(Awaits.IDLE)
