"""The questions of a ticket as one mail: a reply answers them all at once.

A chat asks one question at a time; by mail that would be a dozen round trips. So a mail lists every question
the ticket still needs, lettered (A your role, B your ULB, C module, D kind of problem, E impact, F a
workaround), each with numbered options, and the reply answers with one line per question ("A 2", "C: 1",
or the words of an option). A bare first line ("1", "none") answers the mail's own numbered question (the
FAQ offer, "is it fixed?"). The channel then feeds the answers to the engine in the order it asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.i18n import Catalog
from core.messages import numbered
from core.settings import Settings
from flows.memory import Case, Memory
from flows.questions import QUESTIONS
from flows.states import S
from tickets.priority import Priority, derive_priority

LETTERS: dict[str, str] = {
    S.AWAITING_ROLE: "A", S.AWAITING_ULB: "B", S.AWAITING_MODULE: "C", S.AWAITING_CATEGORY: "D",
    S.AWAITING_IMPACT: "E", S.AWAITING_WORKAROUND: "F",
}
CHAIN = list(LETTERS)  # the order the conversation asks them in
STATE_OF = {letter: state for state, letter in LETTERS.items()}
BEFORE_TRIAGE = {S.AWAITING_PROBLEM, S.OFFERING_FAQ, S.OFFERING_PROBLEM}
# "A 2", "A: 2", "a) 2", "C. Bills": a letter, then a number or a separator and an option's words
_LETTER_LINE = re.compile(r"^\(?([A-Fa-f])\s*(?:[\).:=-]\s*(\S.{0,59})|\s+(\d{1,2}))$")
BARE_LIMIT = 60


class FormAsker:
    """Just enough of a conversation (flows.questions.Asked) to word a question and its options."""

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


@dataclass
class Answers:
    """What a reply says: its bare first line, its lettered lines, and the rest (its own words)."""

    bare: str | None = None
    letters: dict[str, str] = field(default_factory=dict)
    words: str = ""


def read_answers(text: str) -> Answers:
    answers = Answers()
    rest: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            rest.append(line)
            continue
        found = _LETTER_LINE.match(stripped) if len(stripped) <= BARE_LIMIT else None
        if found:
            answers.letters[found.group(1).upper()] = (found.group(2) or found.group(3)).strip()
        elif answers.bare is None and not answers.letters and not "".join(rest).strip() and \
                len(stripped) <= BARE_LIMIT:
            answers.bare = stripped
        else:
            rest.append(line)
    answers.words = "\n".join(rest).strip()
    return answers


def still_needed(state: str | None, known: set[str]) -> list[str]:
    """The lettered questions to list in a mail sent while the conversation waits in `state`: the rest of
    the chain from there (all of it before the profile), less the letters already answered."""
    if state in LETTERS:
        states = CHAIN[CHAIN.index(state):]
    elif state in BEFORE_TRIAGE:
        states = CHAIN[CHAIN.index(S.AWAITING_MODULE):]
    elif state in (None, S.NEW, S.AWAITING_LANGUAGE):
        states = CHAIN
    else:
        return []
    return [LETTERS[s] for s in states if LETTERS[s] not in known]


def render_form(asker: FormAsker, letters: list[str], first: bool) -> str:
    """The lettered questions with their numbered options, and how to answer them."""
    if not letters:
        return ""
    blocks = [asker.t("email.form_intro" if first else "email.form_more", example=f"{letters[0]} 1")]
    for letter in letters:
        question = QUESTIONS[STATE_OF[letter]]
        options = question.options(asker) if question.options else []
        lines = [f"{letter}. {question.prompt(asker)}"]
        lines += ["   " + numbered(n, option.label) for n, option in enumerate(options, 1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
