"""Choices that name their ticket: "Fixed" / "Still not working" on a resolution message, its 1-5 rating, and
"this is a new problem" after a message went to a ticket.

Their id carries the trigger and the ticket number (`fixed:HD-000042`, `rate:HD-000042:4`), so a press works
whatever the conversation waits on by then (the engine routes it before the current question), and a
channel can send the id back as it got it (Telegram's callback data: at most 64 bytes, well within).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.messages import Choice

FIXED, NOT_FIXED, RATE, SPLIT, ADD = "fixed", "not_fixed", "rate", "split", "add_to_ticket"
TRIGGERS = (FIXED, NOT_FIXED, RATE, SPLIT, ADD)
SEPARATOR = ":"


@dataclass(frozen=True)
class TicketChoice:
    """A press on a ticket's own button: the flow's trigger, the ticket it names, and a value (the rating)."""

    trigger: str
    number: str
    value: str = ""

    @property
    def id(self) -> str:
        parts = [self.trigger, self.number, *([self.value] if self.value else [])]
        return SEPARATOR.join(parts)


def choice(trigger: str, number: str, label: str, value: str = "") -> Choice:
    return Choice(TicketChoice(trigger, number, value).id, label)


LABELS = {FIXED: "feedback.yes", NOT_FIXED: "feedback.no", SPLIT: "followup.split", ADD: "followup.add",
          RATE: "feedback.rating.r{value}"}


def label(pressed: TicketChoice, text: Callable[..., str]) -> str:
    """The pressed button's label, for the transcript (`text` looks a catalogue key up in the user's language)."""
    return text(LABELS[pressed.trigger].format(value=pressed.value), number=pressed.number)


def parse(choice_id: str | None) -> TicketChoice | None:
    """The ticket choice an id stands for, or None for any other id (a menu option's)."""
    if not choice_id:
        return None
    trigger, _, rest = choice_id.partition(SEPARATOR)
    number, _, value = rest.partition(SEPARATOR)
    if trigger not in TRIGGERS or not number:
        return None
    if trigger == RATE and value not in {"1", "2", "3", "4", "5"}:
        return None
    return TicketChoice(trigger, number.upper(), value)
