"""The user hears, in their language, when their ticket goes to another team (named in their language) and
when it waits on them; team and ULB names read in the user's language and script."""

from __future__ import annotations

import pytest

from core.messages import Reply
from core.settings import Settings
from tests.fakes import ScriptedChat
from tests.flows.walks import Sessions, desk_does, file_ticket

ESCALATED = {
    "en": "is now with the Product vendor technical team (eGov); they will answer you here.",
    "or": "ଏବେ ଏହି ଦଳ ପାଖରେ ଅଛି: ଆପ ନିର୍ମାତା ସଂସ୍ଥାର ବୈଷୟିକ ଦଳ (ଇ-ଗଭ)।",
    "hi": "अब इस टीम के पास है: ऐप निर्माता की तकनीकी टीम (ई-गव)।",
}
WAITING = {
    "en": "The helpdesk is waiting for your answer on ticket",
    "or": "ହେଲ୍ପଡେସ୍କ ଆପଣଙ୍କ ଉତ୍ତରକୁ ଅପେକ୍ଷା କରୁଛି",
    "hi": "हेल्पडेस्क आपके जवाब का इंतज़ार कर रहा है",
}
MASTER_TRAINERS = {"en": "Master Trainers", "or": "ମାଷ୍ଟର ଟ୍ରେନର ଦଳ", "hi": "मास्टर ट्रेनर टीम"}
ULBS = {"en": ["Jatni", "Dhenkanal"], "or": ["ଜଟଣୀ", "ଢେଙ୍କାନାଳ"], "hi": ["जटनी", "ढेंकानाल"]}


async def _news(chat: ScriptedChat) -> list[Reply]:
    return await chat.engine.pending(chat.user)


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_the_user_is_told_who_has_the_ticket_after_an_escalation(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str
) -> None:
    number = await file_ticket(chat, language)
    await desk_does(sessions, settings, "escalate", number, "op-1", "vendor", "a bug in the app", None)
    [news] = await _news(chat)
    assert number in news.text and ESCALATED[language] in news.text
    assert "eGov" not in news.text or language == "en"


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_the_user_is_told_when_the_ticket_waits_on_them(
    chat: ScriptedChat, sessions: Sessions, settings: Settings, language: str
) -> None:
    number = await file_ticket(chat, language)
    await desk_does(sessions, settings, "claim", number, "op-1", None)
    await desk_does(sessions, settings, "wait_on_user", number, "op-1", None)
    [news] = await _news(chat)
    assert WAITING[language] in news.text and number in news.text


@pytest.mark.parametrize("language", ["en", "or", "hi"])
async def test_team_and_ulb_names_are_in_the_users_language(chat: ScriptedChat, language: str) -> None:
    await chat.send("hello")
    await chat.send_choice(language)
    await chat.send_choice("junior_engineer")
    assert chat.labels == ULBS[language]
    await chat.send("Dhenkanal")  # the configured name works when typed, in any language
    assert await chat.state() == "awaiting_problem"
    await file_ticket(chat, language)
    assert MASTER_TRAINERS[language] in chat.text
    assert language == "en" or "Master Trainers" not in chat.text
