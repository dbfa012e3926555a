"""Channel-neutral message types: what adapters hand to the engine and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

REFUSED = "refused"
"""`Reply.meta` key on an answer to an event that was not applied (rate limited...); its value says why."""


@dataclass(frozen=True)
class UserRef:
    """A user as a channel knows them: the channel's name and its own id for the user."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Attachment:
    """A file the user sent (screenshot, recording), already stored; `ref` locates it in the store."""

    ref: str
    kind: str = "file"
    name: str = ""


@dataclass(frozen=True)
class Inbound:
    """One thing the user did: typed text, or picked a choice by its id.

    `message_id` is the channel's key for the event (Telegram update id, a JSON line's id); an event whose
    key was seen before is ignored, so a retried delivery never files a second ticket.
    """

    user: UserRef
    text: str | None = None
    choice: str | None = None
    message_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    language_hint: str | None = None
    # What the channel says about attachments that carry no words (a voice message: its length, where it came
    # from). Where the flow asks for free text it stands for the user's words: kept as the description for the
    # team, but never matched against the knowledge base, since it is not what the user said.
    note: str | None = None


@dataclass(frozen=True)
class Choice:
    """An option the user can pick: by tapping it, typing its number, or typing its label."""

    id: str
    label: str


LANGUAGE = "language"  # a Reply.meta key: the language the reply is written in (push channels pick templates by it)
ANSWER = "answer"
"""`Reply.meta` key on the question the conversation now waits on: CHOICE (one of `choices`) or TEXT (free
words, which may also pick a choice). A channel renders the question for that answer (a keypad menu, or a
recording on the phone); a reply without it asks nothing."""
CHOICE, TEXT = "choice", "text"
ASKS = "asks"
"""`Reply.meta` key on a question whose answer the conversation keeps: the field the answer fills (e.g.
ULB_FIELD). A channel that already knows the answer (a Telegram deep link names the user's ULB) may give it
for the user, and a channel that asks several questions at once (the e-mail form) names them by it."""
PROFILE = "profile."
"""The prefix of the fields asked once, when a user first writes, and remembered (language, role, ULB)."""
ULB_FIELD = f"{PROFILE}ulb"


class Awaits(StrEnum):
    """What a conversation waits for, in terms any channel understands (`Waiting.awaits`)."""

    GREETING = "greeting"  # nothing yet: the next message starts the conversation
    LANGUAGE = "language"  # the language to speak
    FIELD = "field"  # a menu's answer, kept in a profile or case field (`Waiting.field`)
    PROBLEM = "problem"  # the problem in the user's words
    OFFER = "offer"  # answers offered for the problem; `Waiting.goes_on` declines them all
    CONFIRMATION = "confirmation"  # the summary; `Waiting.goes_on` files the ticket
    FOLLOWUP = "followup"  # whether a message belongs to the ticket just filed
    IDLE = "idle"  # between problems: the next words start a new one
    OTHER = "other"  # another question (is it fixed, a rating...), answered by text or a choice


@dataclass(frozen=True)
class Waiting:
    """What a user's conversation waits for (`ChatEngine.waiting_for`), for a channel that answers for the user
    (the e-mail walk feeds one mail's answers to the questions in turn) without knowing the flow's states."""

    awaits: Awaits
    field: str | None = None  # the field the answer fills (the ASKS of the question), if any
    goes_on: str | None = None  # the id of the choice that goes on toward a ticket (OFFER, CONFIRMATION)


@dataclass(frozen=True)
class Reply:
    """One message from the bot; `ticket` is set on the reply that announces a newly filed ticket.

    `parts`, when set, is `text` in pieces a channel may show as separate messages (the FAQ answers, one a
    bubble in the web chat); a channel that ignores it shows `text`. `files` go with the text where the
    channel can send files (WhatsApp); elsewhere they stay on the ticket."""

    text: str
    choices: tuple[Choice, ...] = ()
    ticket: str | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    parts: tuple[str, ...] = field(default=(), compare=False)
    files: tuple[Attachment, ...] = field(default=(), compare=False)  # an operator's photo or PDF, stored


def numbered(number: int, label: str) -> str:
    """A choice as a numbered line, its number once: a label such as "1 (poor)" already starts with it."""
    return label if label.split(" ", 1)[0] == str(number) else f"{number}. {label}"
