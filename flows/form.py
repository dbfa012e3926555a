"""The flow's questions on the way to a ticket, asked all at once: what a channel that cannot afford a round
trip per question (the e-mail form) lists, as the conversation itself would ask each (text, options, field).

A question added to the flow's path (`PATH`, in the order the conversation asks) appears in such a channel's
form with no change to the channel.
"""

from __future__ import annotations

from collections.abc import Callable

from core.i18n import Catalog
from core.messages import Reply
from core.settings import Settings
from flows.memory import Case, Memory
from flows.questions import QUESTIONS
from flows.states import S
from tickets.priority import Priority, derive_priority

PATH: list[str] = [
    S.NEW, S.AWAITING_LANGUAGE, S.AWAITING_ROLE, S.AWAITING_ULB, S.AWAITING_PROBLEM, S.OFFERING_FAQ,
    S.OFFERING_PROBLEM, S.AWAITING_MODULE, S.AWAITING_CATEGORY, S.AWAITING_IMPACT, S.AWAITING_WORKAROUND,
]
"""From a new conversation to the summary: the states a conversation passes on its way to a ticket."""
FIELDS: list[str] = [
    field for state in PATH
    if state in QUESTIONS and (field := QUESTIONS[state].field) is not None and QUESTIONS[state].options is not None
]
"""The fields a menu on the path fills, in the order asked (language, role, ULB, module, category...)."""


def on_the_way(state: str | None) -> bool:
    """Whether a conversation waiting in `state` (None: never started) is still on its way to a ticket."""
    return state is None or state in PATH


def ahead(state: str | None) -> list[str]:
    """The fields the menus from `state` on still fill (all of them before the conversation starts; none
    once it is past the path: at the summary, between problems, after a ticket)."""
    if not on_the_way(state):
        return []
    at = PATH.index(state) if state is not None else 0
    later = {QUESTIONS[s].field for s in PATH[at:] if s in QUESTIONS}
    return [field for field in FIELDS if field in later]


def field_of(state: str | None) -> str | None:
    """The field the question of `state` fills (None for one that fills none, or no question)."""
    question = QUESTIONS.get(state or "")
    return question.field if question is not None else None


class Standalone:
    """Enough of a conversation (flows.questions.Asked) to word a question and its options in a language,
    outside any conversation."""

    def __init__(self, settings: Settings, catalog: Catalog, language: str) -> None:
        self._settings, self._catalog, self._language = settings, catalog, language
        self.data = Memory()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def case(self) -> Case:
        return self.data.case

    @property
    def language(self) -> str:
        return self._language

    def t(self, key: str, **params: object) -> str:
        return self._catalog.text(key, self._language, **params)

    def both(self, render: Callable[[], str]) -> tuple[str, str]:
        return render(), render()

    def priority(self) -> Priority:
        case = self.case
        return derive_priority(case.category or "", case.impact or "", case.workaround == "yes")

    def ulb_name(self, code: str) -> str:
        key = f"ulb.{code.replace('.', '_')}"
        return self.t(key) if self._catalog.has(key) else self._settings.ulb_name(code)


def ask_all(settings: Settings, catalog: Catalog, language: str, fields: list[str]) -> list[Reply]:
    """The questions that fill `fields` (in the order given), each as the conversation would ask it."""
    asker = Standalone(settings, catalog, language)
    by_field = {QUESTIONS[state].field: QUESTIONS[state] for state in PATH if state in QUESTIONS}
    return [by_field[field].ask(asker) for field in fields]
