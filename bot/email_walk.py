"""One mail as a series of conversation turns: the answers it carries are fed to the engine in the order the
engine asks for them, and the walk stops at the first question the mail does not answer.

Each turn has its own event key (`mail:<Message-ID>#<step>`), so a mail processed again (a crash, a second
server) applies nothing twice; its replies come back from the engine's record (`replay`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.email_form import CASE_LETTERS, LETTERS, Answers
from core import ticket_choices as tc
from core.channel import ChatEngine
from core.messages import ANSWER, REFUSED, Attachment, Awaits, Inbound, Reply, UserRef, Waiting

MAX_STEPS = 14
SHORT_ANSWER_WORDS = 3


@dataclass
class Turn:
    """What one mail brings to the conversation, consumed as the walk goes."""

    key: str
    language: str
    answers: Answers
    description: str | None = None
    attachments: tuple[Attachment, ...] = ()
    thread_choices: list[dict[str, str]] = field(default_factory=list)
    ticket: str | None = None  # the ticket the mail's thread is about
    steps: int = 0
    added: bool = False
    switch_language: bool = False  # the mail is in another script than the conversation: switch first


def short(text: str | None) -> bool:
    return bool(text) and len((text or "").split()) <= SHORT_ANSWER_WORDS


def pick(choices: list[dict[str, str]], typed: str | None) -> str | None:
    """The id of the choice `typed` names by its number or its label, or None."""
    if not typed or not choices:
        return None
    typed = typed.strip().rstrip(".").casefold()
    if typed.isdigit() and 1 <= int(typed) <= len(choices):
        return choices[int(typed) - 1]["id"]
    return next((c["id"] for c in choices if c["label"].casefold() == typed), None)


class Walk:
    def __init__(self, engine: ChatEngine, user: UserRef, turn: Turn) -> None:
        self.engine, self.user, self.turn = engine, user, turn

    async def run(self) -> list[Reply]:
        replies: list[Reply] = []
        first = pick(self.turn.thread_choices, self.turn.answers.bare)
        if first is not None:
            self.turn.answers.bare = None
        for step in range(MAX_STEPS):
            waiting = await self.engine.waiting_for(self.user)
            inbound = Inbound(self.user, choice=first) if first is not None else self._next(waiting)
            first = None
            if inbound is None:
                break
            if step and replies and ANSWER in replies[-1].meta:
                replies.pop()  # the question this step answers: asked and answered within this one mail
            out = await self.engine.handle(replace(inbound, message_id=f"mail:{self.turn.key}#{step}"), replay=True)
            self.turn.steps += 1
            replies += out
            if any(REFUSED in reply.meta for reply in out):
                break
        return replies

    def _bare(self) -> str | None:
        bare, self.turn.answers.bare = self.turn.answers.bare, None
        return bare

    def _text(self, text: str | None) -> Inbound | None:
        return Inbound(self.user, text=text) if text else None

    def _description(self, hint: str | None = None) -> Inbound | None:
        text, self.turn.description = self.turn.description, None
        if not text:
            return None
        attachments, self.turn.attachments = self.turn.attachments, ()
        return Inbound(self.user, text=text, attachments=attachments, language_hint=hint)

    def _next(self, waiting: Waiting) -> Inbound | None:
        turn, letters, awaits = self.turn, self.turn.answers.letters, waiting.awaits
        if awaits is Awaits.GREETING:
            return Inbound(self.user, text=turn.description or "hello", language_hint=turn.language)
        if turn.switch_language:
            turn.switch_language = False
            return Inbound(self.user, text="language")  # the command; the next step picks the mail's language
        if awaits is Awaits.LANGUAGE:
            return Inbound(self.user, choice=turn.language)
        if waiting.field in LETTERS:
            letter = LETTERS[waiting.field]
            if letter in letters:
                return self._text(letters.pop(letter))
            return self._text(self._bare()) if short(turn.answers.bare) else None
        if awaits is Awaits.PROBLEM:
            return self._description()
        if awaits is Awaits.OFFER:
            if short(turn.answers.bare):
                return self._text(self._bare())
            ids = {c["id"] for c in turn.thread_choices}
            wants_ticket = waiting.goes_on in ids and bool(CASE_LETTERS & set(letters))
            return Inbound(self.user, choice=waiting.goes_on) if wants_ticket else None
        if awaits is Awaits.CONFIRMATION:
            return Inbound(self.user, choice=waiting.goes_on) if turn.steps else self._text(self._bare())
        if awaits is Awaits.FOLLOWUP and turn.ticket and not turn.added:
            turn.added = True
            return Inbound(self.user, choice=tc.TicketChoice(tc.ADD, turn.ticket).id)
        if awaits is Awaits.IDLE:
            return self._description()
        return self._text(self._bare()) if short(turn.answers.bare) else None
