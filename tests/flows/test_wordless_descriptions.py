"""A problem described without words (a voice message: the channel's note about it, and the recording): kept as
the description, never matched against the knowledge base or known problems; once the module is known, that
module's answers that solved most problems are offered instead. The voice line relies on this rule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.i18n import Catalog
from core.messages import Attachment, Inbound
from core.settings import Settings
from flows.engine import Engine
from kb.loader import KnowledgeBase, load_knowledge_base
from tests.fakes import KeywordMatcher, ScriptedChat, password_matcher
from tickets.store import SqlTicketStore, Ticket

NOTE = "Voice message from the caller (4 s): listen to the attached recording. It mentions the password."
RECORDING = Attachment("rec-1", "audio", "voice-message")


@dataclass
class KnowingMatcher(KeywordMatcher):
    """The keyword matcher, with the shipped knowledge base's entries behind it (as the real matcher has)."""

    kb: KnowledgeBase | None = None

    @property
    def knowledge_base(self) -> KnowledgeBase:
        assert self.kb is not None
        return self.kb


@pytest.fixture
def knowing(settings: Settings) -> KnowingMatcher:
    return KnowingMatcher(password_matcher().entries, kb=load_knowledge_base(settings.kb_dir))


@pytest.fixture
def chat(sessions: async_sessionmaker[AsyncSession], settings: Settings, catalog: Catalog,
         knowing: KnowingMatcher) -> ScriptedChat:
    return ScriptedChat(Engine(sessions, knowing, settings, catalog))


async def describe_by_voice(chat: ScriptedChat) -> None:
    await chat.set_up_profile()
    chat.last = await chat.engine.handle(Inbound(chat.user, note=NOTE, attachments=(RECORDING,)))


async def tickets_of(sessions: async_sessionmaker[AsyncSession]) -> list[Ticket]:
    async with sessions() as session:
        return await SqlTicketStore(session).recent()


async def test_a_voice_message_is_not_matched_and_the_module_comes_first(
    chat: ScriptedChat, knowing: KnowingMatcher
) -> None:
    await describe_by_voice(chat)
    assert await chat.state() == "awaiting_module"  # "password" in the note offered nothing
    assert knowing.calls == []  # not even asked
    assert "Which part of the app is it about?" in chat.text


async def test_the_modules_answers_that_solved_most_come_first_and_rejecting_them_goes_on_to_triage(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], knowing: KnowingMatcher
) -> None:
    async with sessions() as session, session.begin():
        for _ in range(2):
            await SqlTicketStore(session).record_deflection("voice", "x", "otp-not-received", "otp", None)
    await describe_by_voice(chat)
    await chat.pick("Login")
    assert await chat.state() == "offering_faq"
    otp = knowing.knowledge_base.get("otp-not-received")
    assert otp is not None and chat.last[-1].parts[0].endswith(f"1. {otp.question}\n{otp.answer}")
    offered = len(chat.labels) - 1
    assert 1 <= offered <= 3  # faq_max_hits
    await chat.pick("not my problem")
    assert await chat.state() == "awaiting_category"  # the module is not asked again
    for label in ("not working", "only for me", "No", "file it"):
        await chat.pick(label)
    [ticket] = await tickets_of(sessions)
    assert (ticket.description, ticket.module, ticket.priority) == (NOTE, "login", "P2")
    assert ticket.attachments == [{"ref": "rec-1", "kind": "audio", "name": "voice-message"}]
    assert len(ticket.faq_rejected) == offered and ticket.faq_offered[0]["id"] == "otp-not-received"


async def test_a_modules_answer_that_solves_it_is_a_deflection(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await describe_by_voice(chat)
    await chat.pick("Login")
    await chat.send("1")  # a typed number, as a keypad sends it
    assert await chat.state() == "deflected"
    assert await tickets_of(sessions) == []
    async with sessions() as session:
        assert await SqlTicketStore(session).count_deflections() == 1


async def test_a_user_who_asked_for_a_person_is_offered_no_answers(chat: ScriptedChat) -> None:
    await chat.set_up_profile()
    await chat.send("human")
    chat.last = await chat.engine.handle(Inbound(chat.user, note=NOTE, attachments=(RECORDING,)))
    await chat.pick("Login")
    assert await chat.state() == "awaiting_category"


async def test_a_typed_description_can_replace_a_voice_message(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await describe_by_voice(chat)
    for label in ("Login", "not my problem", "not working", "only for me", "No"):
        await chat.pick(label)
    await chat.pick("Change the description")
    await chat.send("I forgot my password")
    assert await chat.state() == "confirming"  # editing goes back to the summary, as for any description
    await chat.pick("file it")
    [ticket] = await tickets_of(sessions)
    assert ticket.description == "I forgot my password" and ticket.attachments[0]["kind"] == "audio"
