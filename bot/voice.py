"""The voice line's call flow: a small keypad state machine, one step per provider webhook.

A call's state lives in the database (bot/voice_store.py), so any server process can answer the next
webhook. Each step takes the keys pressed and returns a `Turn`: what to say, and what to wait for (a key,
a number ended by #, a recording, or nothing: hang up). Keys that work everywhere: `*` says the question
again, `0` goes straight to recording a message for the helpdesk team; no key press twice in a row ends
the call politely with the helpdesk hours.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.voice_prompts import MORE_DIGIT, Utterance, VoicePrompts
from bot.voice_store import CallState, SqlVoiceStore
from core.errors import NotFound
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from core.settings import Settings
from tickets.assignment import auto_assign
from tickets.models import DeflectionRow
from tickets.priority import derive_priority
from tickets.routing import route
from tickets.store import DueFunction, SqlTicketStore, Ticket, TicketDraft

CHANNEL = "voice"
# A caller picks no category on the phone; L1 operators categorise voice tickets as they listen.
VOICE_CATEGORY = "functional"
SKIPPED_REASON = "The caller pressed 0 to reach a person before the impact questions; set the priority by listening."
Expect = Literal["key", "number", "record", "hangup"]


class S:
    LANGUAGE = "language"
    ROLE = "role"
    ULB = "ulb"
    MAIN = "main"
    MODULE = "module"
    FAQ_OFFER = "faq_offer"
    FAQ_ANSWER = "faq_answer"
    IMPACT = "impact"
    WORKAROUND = "workaround"
    RECORD = "record"
    STATUS = "status"
    DONE = "done"


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


Handler = Callable[[AsyncSession, CallState, str], Awaitable[list[Utterance] | None]]


class VoiceIvr:
    def __init__(self, prompts: VoicePrompts, settings: Settings, due: DueFunction | None = None) -> None:
        self.prompts, self.settings, self.due = prompts, settings, due
        self._handlers: dict[str, Handler] = {
            S.LANGUAGE: self._language, S.ROLE: self._role, S.ULB: self._ulb, S.MAIN: self._main,
            S.MODULE: self._module, S.FAQ_OFFER: self._faq_offer, S.FAQ_ANSWER: self._faq_answer,
            S.IMPACT: self._impact, S.WORKAROUND: self._workaround, S.STATUS: self._status,
        }

    # -- webhooks ----------------------------------------------------------------------------------------
    async def ring(self, session: AsyncSession, sid: str, caller: str) -> Turn:
        """A new call: a known caller goes to the main menu in their language, a new one picks a language."""
        store = SqlVoiceStore(session)
        known = await store.load(sid)
        if known is not None:  # the provider retried the first webhook
            return self.question(known)
        profile = await store.profile(caller)
        if profile is not None and profile.language in LANGUAGES and profile.role and profile.ulb:
            call = CallState(sid, caller, S.MAIN, profile.language, {"role": profile.role, "ulb": profile.ulb})
            greeting = self.prompts.line("welcome_back", call.language)
        else:
            call = CallState(sid, caller, S.LANGUAGE, DEFAULT_LANGUAGE, {})
            greeting = self.prompts.line("welcome", DEFAULT_LANGUAGE)
        await store.save(call)
        turn = self.question(call)
        return Turn([greeting, *turn.said], turn.expect)

    async def step(self, session: AsyncSession, sid: str, caller: str, digits: str) -> Turn:
        """The keys pressed in answer to the current question ("" when none were)."""
        store = SqlVoiceStore(session)
        call = await store.load(sid)
        if call is None:
            return await self.ring(session, sid, caller)
        turn = await self._apply(session, call, digits.strip())
        await store.save(call)
        return turn

    async def recorded(self, session: AsyncSession, sid: str, caller: str, recording: Recording) -> Turn:
        """The caller's message: file the ticket (once per call) and read its number back twice."""
        store = SqlVoiceStore(session)
        call = await store.load(sid) or CallState(sid, caller, S.RECORD, DEFAULT_LANGUAGE, {})
        if call.data.get("ticket"):  # a retried callback: the same ticket, never a second one
            return self._read_back(call, call.data["ticket"])
        if recording.attachment is None and recording.seconds <= 0:
            turn = await self._apply(session, call, "")
            await store.save(call)
            return Turn([self.prompts.line("no_recording", call.language), *turn.said], turn.expect)
        ticket = await self._file(session, call, recording)
        call.data["ticket"] = ticket.number
        call.state = S.DONE
        await store.save(call)
        return self._read_back(call, ticket.number)

    # -- the questions -----------------------------------------------------------------------------------
    def question(self, call: CallState) -> Turn:
        """What the call waits on now (also what `*` repeats)."""
        p, lang, page = self.prompts, call.language, int(call.data.get("page", 0))
        if call.state == S.LANGUAGE:
            return Turn(p.languages(), "key")
        if call.state in (S.ROLE, S.ULB, S.MODULE, S.IMPACT):
            return Turn([p.line(f"ask.{call.state}", lang), *p.menu(call.state, lang, page)], "key")
        if call.state == S.MAIN:
            return Turn([p.line("ask.main", lang), p.line("tips", lang)], "key")
        if call.state in (S.FAQ_OFFER, S.FAQ_ANSWER):
            return self._faq_question(call)
        if call.state == S.WORKAROUND:
            return Turn([p.line("ask.workaround", lang)], "key")
        if call.state == S.RECORD:
            return Turn([p.line("ask.record_human" if call.data.get("human") else "ask.record", lang)], "record")
        if call.state == S.STATUS:
            return Turn([p.line("ask.status", lang)], "number")
        return Turn([], "hangup")

    def _faq_question(self, call: CallState) -> Turn:
        p, lang = self.prompts, call.language
        entry = p.entry(call.data["faq"][call.data.get("faq_at", 0)])
        if entry is None:  # the knowledge base was reloaded without it mid-call
            call.state = S.IMPACT
            return self.question(call)
        if call.state == S.FAQ_OFFER:
            return Turn([p.line("faq.offer", lang), p.faq(entry, "question", lang), p.line("faq.offer_other", lang)],
                        "key")
        return Turn([p.faq(entry, "answer", lang), p.line("faq.solved", lang)], "key")

    # -- applying keys -----------------------------------------------------------------------------------
    async def _apply(self, session: AsyncSession, call: CallState, digits: str) -> Turn:
        p, lang = self.prompts, call.language
        if call.state == S.DONE:
            return Turn([], "hangup")
        if not digits:
            call.data["silences"] = call.data.get("silences", 0) + 1
            if call.data["silences"] >= 2:
                call.state = S.DONE
                return Turn([p.line("goodbye_silent", lang)], "hangup")
            turn = self.question(call)
            return Turn([p.line("no_input", lang), *turn.said], turn.expect)
        call.data["silences"] = 0
        self._note(call, f"{call.state}: pressed {digits}")
        if digits == "*":
            return self.question(call)
        if digits == "0" and call.state != S.RECORD:
            call.state, call.data["human"] = S.RECORD, True
            return self.question(call)
        handler = self._handlers.get(call.state)
        said = await handler(session, call, digits) if handler else None
        if said is None:
            turn = self.question(call)
            return Turn([p.line("invalid", call.language), *turn.said], turn.expect)
        turn = self.question(call)
        return Turn([*said, *turn.said], turn.expect)

    def _picked(self, call: CallState, digits: str) -> str | None:
        """A menu's code for the keys, or "" when 9 turned the page; None when the keys pick nothing."""
        menu = self.prompts.menus[call.state]
        page = int(call.data.get("page", 0))
        if menu.paged and digits == MORE_DIGIT:
            call.data["page"] = (page + 1) % menu.pages
            return ""
        code = menu.pick(digits, page)
        if code is not None:
            call.data["page"] = 0
        return code

    async def _language(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        if not (digits.isdigit() and 1 <= int(digits) <= len(LANGUAGES)):
            return None
        call.language, call.state = LANGUAGES[int(digits) - 1], S.ROLE
        return []

    async def _role(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        code = self._picked(call, digits)
        if code:
            call.data["role"], call.state = code, S.ULB
        return None if code is None else []

    async def _ulb(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        code = self._picked(call, digits)
        if not code:
            return None if code is None else []
        call.data["ulb"], call.state = code, S.MAIN
        await SqlVoiceStore(session).remember(call.caller, call.language, call.data.get("role"), code)
        return [self.prompts.line("profile_saved", call.language)]

    async def _main(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        call.state = {"1": S.MODULE, "2": S.STATUS, "3": S.LANGUAGE}.get(digits, call.state)
        return None if call.state == S.MAIN else []

    async def _module(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        code = self._picked(call, digits)
        if not code:
            return None if code is None else []
        call.data["module"] = code
        faq = await self._most_asked(session, code, call.data.get("role"))
        call.data.update(faq=faq, faq_at=0, faq_rejected=[])
        call.state = S.FAQ_OFFER if faq else S.IMPACT
        return []

    async def _faq_offer(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        if digits == "1":
            call.state = S.FAQ_ANSWER
            return []
        if digits != "2":
            return None
        self._reject(call)
        return []

    async def _faq_answer(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        if digits == "1":
            entry_id = call.data["faq"][call.data.get("faq_at", 0)]
            entry = self.prompts.entry(entry_id)
            await SqlTicketStore(session).record_deflection(
                CHANNEL, call.caller, entry_id, entry.question if entry else entry_id, call.data.get("ulb"))
            call.state = S.DONE
            return [self.prompts.line("faq.deflected", call.language)]
        if digits != "2":
            return None
        self._reject(call)
        call.state = S.IMPACT  # the caller recognised their problem, and its answer did not help
        return []

    def _reject(self, call: CallState) -> None:
        at = call.data.get("faq_at", 0)
        call.data["faq_rejected"] = [*call.data.get("faq_rejected", []), call.data["faq"][at]]
        if at + 1 < len(call.data["faq"]):
            call.data["faq_at"], call.state = at + 1, S.FAQ_OFFER
        else:
            call.state = S.IMPACT

    async def _impact(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        code = self._picked(call, digits)
        if code:
            call.data["impact"], call.state = code, S.WORKAROUND
        return None if code is None else []

    async def _workaround(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        if digits not in ("1", "2"):
            return None
        call.data["workaround"], call.state = digits == "1", S.RECORD
        return []

    async def _status(self, session: AsyncSession, call: CallState, digits: str) -> list[Utterance] | None:
        keyed = digits.rstrip("#")
        if not keyed.isdigit():
            return None
        p, lang = self.prompts, call.language
        call.state = S.MAIN
        number = f"{self.settings.ticket_prefix}-{int(keyed):06d}"
        try:
            ticket = await SqlTicketStore(session).get(number)
        except NotFound:
            ticket = None
        if ticket is None or ticket.user_id != call.caller:  # only tickets filed from this phone
            return [p.line("status.unknown", lang)]
        return [p.line("status.of", lang), *p.digits(spoken_number(ticket.number), lang),
                p.line(f"status.state.{ticket.status}", lang)]

    # -- effects -----------------------------------------------------------------------------------------
    async def _most_asked(self, session: AsyncSession, module: str, role: str | None) -> list[str]:
        """The module's entries, those that solved most callers' and chatters' problems first."""
        audience = None if role is None else "cbo" if role == "cbo" else "employee"
        entries = self.prompts.module_entries(module, audience)
        ids = [e.id for e in entries]
        if not ids:
            return []
        query = (select(DeflectionRow.entry_id, func.count()).where(DeflectionRow.entry_id.in_(ids))
                 .group_by(DeflectionRow.entry_id))
        counts: dict[str, int] = {entry_id: int(n) for entry_id, n in await session.execute(query)}
        ranked = sorted(ids, key=lambda entry_id: -counts.get(entry_id, 0))  # stable: file order breaks ties
        return ranked[: self.settings.voice_faq_max]

    async def _file(self, session: AsyncSession, call: CallState, recording: Recording) -> Ticket:
        data = call.data
        if "impact" in data:
            priority = derive_priority(VOICE_CATEGORY, data["impact"], bool(data.get("workaround")))
            level, reason = priority.level, self.prompts.flow.text(priority.reason, "en")
        else:
            level, reason = "P3", SKIPPED_REASON
        if recording.attachment is not None:
            description = f"Voice message from the caller ({recording.seconds} s): listen to the attached recording."
        else:
            source = f"could not be fetched from {recording.url}" if recording.url else "came with no recording URL"
            description = f"Voice message ({recording.seconds} s) that {source}."
        self._note(call, "recorded a voice message")
        draft = TicketDraft(
            channel=CHANNEL, user_id=call.caller, role=data.get("role"), ulb=data.get("ulb"),
            language=call.language, module=data.get("module", "other"), category=VOICE_CATEGORY,
            priority=level, priority_reason=reason, description=description,
            team=route(VOICE_CATEGORY, self.settings),
            attachments=[recording.attachment] if recording.attachment else [],
            transcript=list(data.get("transcript", [])),
            faq_offered=self._offered(data),
            faq_rejected=list(data.get("faq_rejected", [])),
        )
        ticket = await SqlTicketStore(session, self.settings.ticket_prefix, self.due).file(draft)
        await auto_assign(session, ticket.number, self.settings)
        return ticket

    def _offered(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """The FAQ entries the caller heard, in English for the operators."""
        heard = data.get("faq", [])[: data.get("faq_at", 0) + 1]
        entries = [entry for entry in map(self.prompts.entry, heard) if entry is not None]
        return [{"id": e.id, "question": e.question, "answer": e.answer} for e in entries]

    def _read_back(self, call: CallState, number: str) -> Turn:
        p, lang = self.prompts, call.language
        digits = p.digits(spoken_number(number), lang)
        return Turn([p.line("filed", lang), *digits, p.line("again", lang), *digits, p.line("filed_end", lang)],
                    "hangup")

    @staticmethod
    def _note(call: CallState, text: str) -> None:
        line: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "from": "user", "text": text}
        call.data["transcript"] = [*call.data.get("transcript", []), line][-300:]


def spoken_number(number: str) -> str:
    """The digits a caller hears and keys for a ticket: HD-000123 -> "123"."""
    tail = number.rsplit("-", 1)[-1]
    return str(int(tail)) if tail.isdigit() else tail
