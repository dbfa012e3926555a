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
from core.messages import REFUSED, Attachment, Inbound, Reply, UserRef
from flows.form import field_of
from flows.questions import QUESTIONS
from flows.states import IDLE, S

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
            state = await self.engine.state_of(self.user)
            inbound = Inbound(self.user, choice=first) if first is not None else self._next(state)
            first = None
            if inbound is None:
                break
            if step and state in QUESTIONS and replies:
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

    def _next(self, state: str | None) -> Inbound | None:
        turn, letters = self.turn, self.turn.answers.letters
        if state in (None, S.NEW):
            return Inbound(self.user, text=turn.description or "hello", language_hint=turn.language)
        if turn.switch_language:
            turn.switch_language = False
            return Inbound(self.user, text="language")  # the command; the next step picks the mail's language
        if state == S.AWAITING_LANGUAGE:
            return Inbound(self.user, choice=turn.language)
        if (asks := field_of(state)) in LETTERS:
            letter = LETTERS[asks]
            if letter in letters:
                return self._text(letters.pop(letter))
            return self._text(self._bare()) if short(turn.answers.bare) else None
        if state == S.AWAITING_PROBLEM:
            return self._description()
        if state in (S.OFFERING_FAQ, S.OFFERING_PROBLEM):
            if short(turn.answers.bare):
                return self._text(self._bare())
            ids = {c["id"] for c in turn.thread_choices}
            skip = "none" if state == S.OFFERING_FAQ else "different_issue"
            wants_ticket = skip in ids and bool(CASE_LETTERS & set(letters))
            return Inbound(self.user, choice=skip) if wants_ticket else None
        if state == S.CONFIRMING:
            return Inbound(self.user, choice="confirm") if turn.steps else self._text(self._bare())
        if state == S.ASKING_FOLLOWUP and turn.ticket and not turn.added:
            turn.added = True
            return Inbound(self.user, choice=tc.TicketChoice(tc.ADD, turn.ticket).id)
        if state in IDLE:
            return self._description()
        return self._text(self._bare()) if short(turn.answers.bare) else None
