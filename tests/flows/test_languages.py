"""Odia and Hindi users: every reply in their script, commands and answers typed in any script."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.messages import Inbound, Reply, UserRef
from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat
from tickets.store import SqlTicketStore, Ticket

ODIA = range(0x0B00, 0x0B80)
DEVANAGARI = range(0x0900, 0x0980)
# names that stay in Latin letters whatever the language: the product, programme abbreviations
LATIN_NAMES = ("MUKTASoft", "ULB", "OTP", "CBO", "JE", "AE", "EO")


def script_share(text: str, block: range, settings: Settings) -> float:
    """The share of letters in `block`, ignoring quoted or bracketed English, ticket numbers and names."""
    for name in (*(t.name for t in settings.teams), *(u.name for u in settings.ulbs), *LATIN_NAMES):
        text = text.replace(name, " ")
    text = re.sub(r'"[^"]*"|\([^()]*\)|\b[A-Z]+-\d+\b|\bP[1-4]\b', " ", text)
    letters = [c for c in text if c.isalpha()]
    return sum(ord(c) in block for c in letters) / len(letters) if letters else 1.0


def assert_in_script(replies: list[Reply], block: range, settings: Settings) -> None:
    for reply in replies:
        texts = [reply.text, *(c.label for c in reply.choices if c.id not in ("en", "or", "hi"))]
        for text in texts:
            assert script_share(text, block, settings) >= 0.9, text


async def tickets_of(sessions: async_sessionmaker[AsyncSession]) -> list[Ticket]:
    async with sessions() as session:
        return await SqlTicketStore(session).recent()


async def talk(chat: ScriptedChat, said: list[Reply], *messages: str) -> None:
    for message in messages:
        said += await chat.send(message)


async def test_odia_user_files_a_ticket_and_every_reply_is_in_odia(
    chat: ScriptedChat, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    said: list[Reply] = []
    await chat.send("ନମସ୍କାର")
    await talk(chat, said, "୨", "କନିଷ୍ଠ / ସହକାରୀ ଯନ୍ତ୍ରୀ", "୧", "ମଷ୍ଟର ରୋଲ ସେଭ ହେଉନାହିଁ",
               "ମଷ୍ଟର ରୋଲ", "ମୋ ପାଇଁ କିଛି କାମ କରୁନାହିଁ", "କେବଳ ମୋ କାମ ବନ୍ଦ ହୋଇଯାଇଛି", "ନା")
    assert "ପ୍ରାଥମିକତା: P2" in chat.text
    await talk(chat, said, "ହଁ, ଦାଖଲ କରନ୍ତୁ")
    assert chat.ticket == "HD-000001" and "HD-000001" in chat.text
    await talk(chat, said, "ସ୍ଥିତି")
    assert_in_script(said, ODIA, settings)
    [ticket] = await tickets_of(sessions)
    assert (ticket.language, ticket.module, ticket.category, ticket.ulb) == ("or", "attendance", "technical",
                                                                           "od.jatni")
    assert ticket.priority_reason == "your work has stopped and there is no workaround"  # operators read English


async def test_the_operator_reads_the_odia_users_words_as_written_and_the_bots_side_in_english(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("ନମସ୍କାର")
    await talk(chat, [], "୨", "୨", "୧", "ମଷ୍ଟର ରୋଲ ସେଭ ହେଉନାହିଁ", "ମଷ୍ଟର ରୋଲ", "୨", "୨", "୨", "୧")
    [ticket] = await tickets_of(sessions)
    user_lines = [line for line in ticket.transcript if line["from"] == "user"]
    bot_lines = [line for line in ticket.transcript if line["from"] == "bot"]
    assert "ମଷ୍ଟର ରୋଲ ସେଭ ହେଉନାହିଁ" in [line["text"] for line in user_lines]
    assert all("text_en" not in line for line in user_lines)
    odia = [line for line in bot_lines if script_share(line["text"], ODIA, Settings()) > 0.5]
    assert len(odia) >= 8 and all(line.get("text_en") for line in odia)
    english = [line.get("text_en", line["text"]) for line in bot_lines]
    assert "Which part of the app is it about?" in english
    assert "What is your role?" in english
    assert "Language set to Odia." in english  # what the user chose, not the operator's language
    words = "ମଷ୍ଟର ରୋଲ ସେଭ ହେଉନାହିଁ"  # quoted back in the summary as the user wrote it
    assert all(script_share(text.replace(words, ""), ODIA, Settings()) == 0 for text in english)


async def test_hindi_user_files_a_ticket_and_every_reply_is_in_hindi(
    chat: ScriptedChat, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    said: list[Reply] = []
    await chat.send("नमस्ते")
    await talk(chat, said, "३", "लेखाकार", "२", "बिल सबमिट करने पर एरर आ रहा है",
               "बिल", "ऐप में खराबी है", "दफ़्तर में सबका काम रुका है", "नहीं")
    assert "प्राथमिकता: P1" in chat.text
    await talk(chat, said, "मदद", "हाँ, दर्ज करें")
    assert chat.ticket == "HD-000001"
    await talk(chat, said, "स्थिति")
    assert_in_script(said, DEVANAGARI, settings)
    [ticket] = await tickets_of(sessions)
    assert (ticket.language, ticket.role, ticket.ulb, ticket.priority) == ("hi", "accountant", "od.dhenkanal",
                                                                          "P1")


async def set_up(chat: ScriptedChat, language: str) -> None:
    await chat.send("hello")
    await chat.send(language)
    await chat.send("1")
    await chat.send("1")


@pytest.mark.parametrize(("language", "word", "state", "expected"), [
    ("ଓଡ଼ିଆ", "ଭାଷା", "awaiting_language", "ଆପଣ କେଉଁ ଭାଷା"),
    ("हिन्दी", "भाषा", "awaiting_language", "आप कौन सी भाषा"),
    ("English", "bhasha", "awaiting_language", "Which language"),
    ("ଓଡ଼ିଆ", "ସାହାଯ୍ୟ", "awaiting_module", "ଭାଷା"),
    ("हिन्दी", "मदद", "awaiting_module", "प्रोफ़ाइल"),
    ("ଓଡ଼ିଆ", "ବାତିଲ", "cancelled", "ବାତିଲ ହେଲା"),
    ("हिन्दी", "रद्द करें", "cancelled", "रद्द कर दिया"),
    ("ଓଡ଼ିଆ", "ପୁଣି ଆରମ୍ଭ", "awaiting_problem", "ସମସ୍ୟା"),
    ("हिन्दी", "phir se shuru", "awaiting_problem", "समस्या"),
    ("ଓଡ଼ିଆ", "ସ୍ଥିତି", "awaiting_module", "ଏପର୍ଯ୍ୟନ୍ତ କୌଣସି ଟିକେଟ ନାହିଁ"),
    ("हिन्दी", "स्थिति", "awaiting_module", "कोई टिकट नहीं"),
    ("ଓଡ଼ିଆ", "ମଣିଷ", "awaiting_module", "ଶେଷ ପ୍ରଶ୍ନ"),
    ("हिन्दी", "इंसान", "awaiting_module", "आखिरी सवाल"),
    ("ଓଡ଼ିଆ", "ପ୍ରୋଫାଇଲ", "awaiting_role", "ଭୂମିକା"),
    ("हिन्दी", "प्रोफाइल", "awaiting_role", "भूमिका"),
])
async def test_commands_work_in_each_script(
    chat: ScriptedChat, language: str, word: str, state: str, expected: str
) -> None:
    await set_up(chat, language)
    await chat.send("muster roll stuck")
    await chat.send(word)
    assert await chat.state() == state
    assert expected in chat.text


async def test_an_english_user_may_type_the_odia_or_hindi_label_and_the_other_way_round(chat: ScriptedChat) -> None:
    await chat.set_up_profile()
    await chat.send("muster roll stuck")
    await chat.send("ମାପ ପୁସ୍ତକ")
    assert await chat.state() == "awaiting_category"
    await chat.send("मेरे लिए कुछ काम नहीं कर रहा")
    assert await chat.state() == "awaiting_impact"
    await chat.send("language")
    await chat.send("ଓଡ଼ିଆ")
    assert await chat.state() == "awaiting_impact"
    await chat.send("Work is slowed down")
    assert await chat.state() == "awaiting_workaround"
    assert "ବିକଳ୍ପ ଉପାୟ" in chat.text


@pytest.mark.parametrize(("language", "word", "value"), [
    ("ଓଡ଼ିଆ", "ହଁ", "P4"), ("ଓଡ଼ିଆ", "ନାହିଁ", "P3"), ("ଓଡ଼ିଆ", "hoi", "P4"), ("ଓଡ଼ିଆ", "nahin", "P3"),
    ("हिन्दी", "हां", "P4"), ("हिन्दी", "नहीं", "P3"), ("हिन्दी", "haan", "P4"), ("हिन्दी", "ji nahi", "P3"),
    ("English", "ha", "P4"), ("English", "na", "P3"), ("English", "हाँ", "P4"), ("English", "ନା", "P3"),
])
async def test_yes_and_no_words_of_every_language_answer_a_yes_no_question(
    chat: ScriptedChat, language: str, word: str, value: str
) -> None:
    await set_up(chat, language)
    await chat.send("muster roll stuck")
    for answer in ("1", "2", "3"):  # project, technical, slowed
        await chat.send(answer)
    await chat.send(word)
    assert await chat.state() == "confirming"
    assert f": {value}," in chat.text


async def first_contact(engine: Engine, hint: str | None, user: str = "t1") -> list[Reply]:
    return await engine.handle(Inbound(UserRef("telegram", user), text="/start", language_hint=hint))


@pytest.mark.parametrize(("hint", "block", "asks"), [
    ("or-IN", ODIA, "ଆପଣଙ୍କ ଭୂମିକା"), ("or", ODIA, "ଆପଣଙ୍କ ଭୂମିକା"), ("hi", DEVANAGARI, "आपकी भूमिका"),
])
async def test_a_new_user_is_greeted_in_the_language_the_channel_reports(
    engine: Engine, settings: Settings, hint: str, block: range, asks: str
) -> None:
    replies = await first_contact(engine, hint)
    assert_in_script(replies, block, settings)
    assert asks in replies[-1].text
    assert await engine.state_of(UserRef("telegram", "t1")) == "awaiting_role"
    assert any('"ଭାଷା"' in r.text or '"भाषा"' in r.text for r in replies)  # how to change it


async def test_an_english_hint_preselects_english_and_says_how_to_change(engine: Engine) -> None:
    replies = await first_contact(engine, "en-US")
    assert "Language set to English" in replies[1].text and "ଭାଷା / भाषा" in replies[2].text
    assert "What is your role?" in replies[-1].text


@pytest.mark.parametrize("hint", ["fr", "ta-IN", "", None])
async def test_an_unsupported_hint_asks_for_the_language_as_usual(engine: Engine, hint: str | None) -> None:
    replies = await first_contact(engine, hint)
    assert [c.label for c in replies[-1].choices] == ["English", "ଓଡ଼ିଆ (Odia)", "हिन्दी (Hindi)"]
    assert await engine.state_of(UserRef("telegram", "t1")) == "awaiting_language"


async def test_the_hint_never_overrides_a_language_the_user_chose(engine: Engine) -> None:
    chat = ScriptedChat(engine, "t2", "telegram")
    await chat.send("hello")
    await chat.send("हिन्दी")
    await engine.handle(Inbound(chat.user, text="cancel", language_hint="or"))
    replies = await engine.handle(Inbound(chat.user, text="1", language_hint="or"))
    assert "नगर निकाय" in replies[-1].text


async def test_status_dates_are_in_ist_with_the_language_month_name(chat: ScriptedChat) -> None:
    await set_up(chat, "ଓଡ଼ିଆ")
    await chat.send("muster roll stuck")
    for answer in ("1", "2", "3", "ନା", "1"):
        await chat.send(answer)
    await chat.send("ସ୍ଥିତି")
    assert re.search(r"ଦାଖଲ \d{1,2} (ଜାନୁଆରୀ|ଫେବୃଆରୀ|ମାର୍ଚ୍ଚ|ଅପ୍ରେଲ|ମଇ|ଜୁନ|ଜୁଲାଇ|ଅଗଷ୍ଟ|ସେପ୍ଟେମ୍ବର|ଅକ୍ଟୋବର|ନଭେମ୍ବର|ଡିସେମ୍ବର)"
                     r" 20\d\d", chat.text), chat.text


@pytest.mark.parametrize(("typed", "language"), [
    ("oriya", "or"), ("Odia", "or"), ("ଓଡିଆ", "or"), ("hindi", "hi"), ("हिंदी", "hi"), ("ହିନ୍ଦୀ", "hi"), ("english", "en"),
])
async def test_the_language_can_be_named_in_any_script_or_spelling(
    chat: ScriptedChat, typed: str, language: str
) -> None:
    await chat.send("hello")
    await chat.send(typed)
    assert await chat.state() == "awaiting_role"
    expected = {"or": "ଭୂମିକା", "hi": "भूमिका", "en": "role"}[language]
    assert expected in chat.text


async def test_a_misspelt_odia_label_still_finds_its_option(chat: ScriptedChat) -> None:
    await set_up(chat, "ଓଡ଼ିଆ")
    await chat.send("muster roll stuck")
    await chat.send("ମାପପୁସ୍ତକ")
    assert await chat.state() == "awaiting_category"
