"""The voice line: the shared conversation (flows.engine) rendered as keypad menus and speech, one step per
provider webhook.

The line asks nothing of its own about a problem: each webhook becomes an `Inbound` for the engine and the
engine's `Reply`s are spoken. A question with choices is a keypad menu (key n sends the choice's number, as
a typed number does in every channel; over nine choices, 9 turns the page); a question answered in free
words is a recording, whose note (length, where it came from) and audio file become the description. Filing,
priority, deflection and the follow-up rules are the flow's.

What belongs to the phone stays here: the call's own state (bot/voice_store.py: the menu page, silences, the
question to say again, so that any server process can answer the next webhook), the main menu between
problems (report, status, language, role or office: the flow's commands), the ticket number read back
digit by digit, and the keys that work everywhere: `*` says the question again, `0` is the flow's "human"
command (straight to a message for the helpdesk team); no key press twice in a row ends the call politely
with the helpdesk hours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.voice_prompts import MORE_DIGIT, Utterance, VoicePrompts, digit_of, page_of, pages
from bot.voice_store import CallState, SqlVoiceStore
from core.channel import ChatEngine
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from core.messages import ANSWER, CHOICE, LANGUAGE, Attachment, Inbound, Reply, UserRef
from flows.words import COMMAND_WORDS

CHANNEL = "voice"
Expect = Literal["key", "record", "hangup"]
# The call's place: answering the conversation's question, in the main menu between problems, or over.
FLOW, MENU, DONE = "flow", "menu", "done"
# The main menu's keys, and "0" anywhere: the flow's commands.
MENU_COMMANDS = {"1": "restart", "2": "status", "3": "change_language", "4": "change_profile"}
HUMAN_KEY = "0"


class VoiceEngine(ChatEngine, Protocol):
    async def language_of(self, user: UserRef) -> str | None: ...


@dataclass(frozen=True)
class Turn:
    said: list[Utterance]
    expect: Expect


@dataclass(frozen=True)
class Recording:
    """What the provider's recording callback brought: the stored file (None if it could not be fetched)."""

    attachment: dict[str, str] | None
    seconds: int
    url: str

    def note(self) -> str:
        """The description the team reads (in English, the operators' language) beside the recording."""
        if self.attachment is not None:
            return f"Voice message from the caller ({self.seconds} s): listen to the attached recording."
        source = f"could not be fetched from {self.url}" if self.url else "came with no recording URL"
        return f"Voice message ({self.seconds} s) that {source}."


def command(trigger: str) -> str:
    """The flow's command as a caller would type it (commands work as words in every channel)."""
    return COMMAND_WORDS[trigger]["en"][0]


def spoken_number(number: str) -> str:
    """The digits a caller hears for a ticket: HD-000123 -> "123"."""
    tail = number.rsplit("-", 1)[-1]
    return str(int(tail)) if tail.isdigit() else tail


class VoiceLine:
    def __init__(self, engine: VoiceEngine, prompts: VoicePrompts, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.engine, self.prompts, self.sessions = engine, prompts, sessions

    # -- webhooks ----------------------------------------------------------------------------------------
    async def ring(self, sid: str, caller: str) -> Turn:
        """A new call: a new caller starts the conversation, a known one hears the main menu in their language."""
        known = await self._load(sid)
        if known is not None:  # the provider retried the first webhook
            return self._again(known)
        user = UserRef(CHANNEL, caller)
        language = await self.engine.language_of(user)
        call = CallState(sid, caller, MENU, language or DEFAULT_LANGUAGE, {})
        if language is None:
            turn = self._answer(call, await self.engine.handle(Inbound(user)))
        else:
            turn = self._menu(call, [self.prompts.line("welcome_back", call.language)])
        await self._save(call)
        return turn

    async def step(self, sid: str, caller: str, digits: str) -> Turn:
        """The keys pressed in answer to the current question ("" when none were)."""
        call = await self._load(sid)
        if call is None:
            return await self.ring(sid, caller)
        turn = await self._keys(call, digits.strip())
        await self._save(call)
        return turn

    async def recorded(self, sid: str, caller: str, recording: Recording) -> Turn:
        """The caller's message: the answer to the question in free words. A retried callback changes nothing
        and hears the same answer (the engine keeps the replies of an event by its id)."""
        call = await self._load(sid) or CallState(sid, caller, FLOW, DEFAULT_LANGUAGE, {})
        if recording.attachment is None and recording.seconds <= 0:
            turn = self._again(call)
            turn = Turn([self.prompts.line("no_recording", call.language), *turn.said], turn.expect)
        else:
            attached = recording.attachment
            files = (Attachment(attached["ref"], attached["kind"], attached.get("name", "")),) if attached else ()
            event = f"{sid}:{hashlib.sha256(recording.url.encode()).hexdigest()[:16]}:{recording.seconds}"
            inbound = Inbound(UserRef(CHANNEL, caller), note=recording.note(), attachments=files, message_id=event)
            turn = self._answer(call, await self.engine.handle(inbound, replay=True))
        await self._save(call)
        return turn

    # -- keys --------------------------------------------------------------------------------------------
    async def _keys(self, call: CallState, digits: str) -> Turn:
        p, lang = self.prompts, call.language
        if call.state == DONE:
            return Turn([], "hangup")
        if not digits:
            call.data["silences"] = call.data.get("silences", 0) + 1
            if call.data["silences"] >= 2:
                call.state = DONE
                return Turn([p.line("goodbye_silent", lang)], "hangup")
            turn = self._again(call)
            return Turn([p.line("no_input", lang), *turn.said], turn.expect)
        call.data["silences"] = 0
        if digits == "*":
            return self._again(call)
        if digits == HUMAN_KEY:
            return await self._send(call, command("human"), then=DONE)
        if call.state == MENU:
            if digits not in MENU_COMMANDS:
                return self._menu(call, [p.line("invalid.choice", lang)])
            then = DONE if digits == "1" else MENU  # a problem ends the call; the rest comes back here
            return await self._send(call, command(MENU_COMMANDS[digits]), then=then)
        asked = call.data.get("asked", {})
        count, page = len(asked.get("choices", [])), int(call.data.get("page", 0))
        if not count:  # keys while a recording is expected (a provider falling through): ask again
            return self._again(call)
        if count > 9 and digits == MORE_DIGIT:
            call.data["page"] = (page + 1) % pages(count)
            return self._again(call)
        shown = page_of(count, page)
        picked = shown[int(digits) - 1] + 1 if digits.isdigit() and 1 <= int(digits) <= len(shown) else None
        return await self._send(call, str(picked) if picked is not None else digits, then=call.data.get("then", DONE))

    async def _send(self, call: CallState, text: str, *, then: str) -> Turn:
        if call.state == MENU:
            call.data["then"] = then
        return self._answer(call, await self.engine.handle(Inbound(UserRef(CHANNEL, call.caller), text=text)))

    # -- replies as speech -------------------------------------------------------------------------------
    def _answer(self, call: CallState, replies: list[Reply]) -> Turn:
        """Speak the engine's replies: the question last (a menu or a recording); with none, the call goes back
        to the main menu, or ends (after a problem: read back the ticket number if one was filed)."""
        languages = [r.meta[LANGUAGE] for r in replies if r.meta.get(LANGUAGE) in LANGUAGES]
        call.language = languages[-1] if languages else call.language
        asked = next((r for r in reversed(replies) if r.meta.get(ANSWER)), None)
        said = [u for r in replies if r is not asked for u in self._words(r, call.language)]
        if asked is not None:
            call.state, call.data["page"] = FLOW, 0
            call.data["asked"] = {"text": asked.text, "parts": list(asked.parts), "answer": asked.meta[ANSWER],
                                  "choices": [[c.id, c.label] for c in asked.choices]}
            turn = self._again(call)
            return Turn([*said, *turn.said], turn.expect)
        filed = next((r.ticket for r in replies if r.ticket), None)
        if filed:
            call.state = DONE
            return Turn([*said, *self._read_back(call, filed)], "hangup")
        if call.data.get("then", DONE) == MENU:
            return self._menu(call, said)
        call.state = DONE
        return Turn(said, "hangup")

    def _words(self, reply: Reply, lang: str) -> list[Utterance]:
        texts = reply.parts or (reply.text,)
        return [self.prompts.say(line.strip(), lang) for text in texts for line in text.splitlines() if line.strip()]

    def _again(self, call: CallState) -> Turn:
        """What the call waits on now (also what `*` repeats)."""
        if call.state == DONE:
            return Turn([], "hangup")
        if call.state == MENU:
            return self._menu(call, [])
        asked: dict[str, Any] = call.data.get("asked", {})
        question = Reply(asked.get("text", ""), parts=tuple(asked.get("parts", [])))
        said = self._words(question, call.language)
        choices = asked.get("choices", [])
        if not choices:
            return Turn(said, "record" if asked.get("answer") != CHOICE else "key")
        if sorted(code for code, _ in choices) == sorted(LANGUAGES):
            return Turn([*said, *self.prompts.languages()], "key")  # each language in its own
        page = int(call.data.get("page", 0))
        for index in page_of(len(choices), page):
            said.append(self.prompts.option(choices[index][1], digit_of(index, len(choices)), call.language))
        if len(choices) > 9:
            said.append(self.prompts.line("more", call.language))
        return Turn(said, "key")

    def _menu(self, call: CallState, said: list[Utterance]) -> Turn:
        call.state = MENU
        p, lang = self.prompts, call.language
        return Turn([*said, p.line("ask.main", lang), p.line("tips", lang)], "key")

    def _read_back(self, call: CallState, number: str) -> list[Utterance]:
        p, lang = self.prompts, call.language
        digits = p.digits(spoken_number(number), lang)
        return [*digits, p.line("again", lang), *digits, p.line("filed_end", lang)]

    # -- the call's row ----------------------------------------------------------------------------------
    async def _load(self, sid: str) -> CallState | None:
        async with self.sessions() as session:
            return await SqlVoiceStore(session).load(sid)

    async def _save(self, call: CallState) -> None:
        async with self.sessions() as session, session.begin():
            await SqlVoiceStore(session).save(call)
