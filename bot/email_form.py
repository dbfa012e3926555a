"""The questions of a ticket as one mail: a reply answers them all at once.

A chat asks one question at a time; by mail that would be a dozen round trips. So a mail lists every question
the ticket still needs, lettered in the order the flow asks them (flows.form; today A your role, B your ULB,
C module, D kind of problem, E impact, F a workaround), each worded and with the options the flow gives it,
and the reply answers with one line per question ("A 2", "C: 1", or the words of an option). A bare first
line ("1", "none") answers the mail's own numbered question (the FAQ offer, "is it fixed?"). The channel then
feeds the answers to the engine in the order it asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.i18n import Catalog
from core.messages import PROFILE, numbered
from core.settings import Settings
from flows.form import FIELDS, ahead, ask_all

LANGUAGE_FIELD = f"{PROFILE}language"  # not in the form: the mail's own script answers it
FORM_FIELDS = [name for name in FIELDS if name != LANGUAGE_FIELD]  # the flow's menus on the way to a ticket
LETTERS: dict[str, str] = {name: chr(ord("A") + n) for n, name in enumerate(FORM_FIELDS)}  # field -> letter
FIELD_OF = {letter: name for name, letter in LETTERS.items()}
CASE_LETTERS = {letter for name, letter in LETTERS.items() if not name.startswith(PROFILE)}  # the problem's own
_LAST = chr(ord("A") + len(LETTERS) - 1)
# "A 2", "A: 2", "a) 2", "C. Bills": a letter, then a number or a separator and an option's words
_LETTER_LINE = re.compile(rf"^\(?([A-{_LAST}a-{_LAST.lower()}])\s*(?:[\).:=-]\s*(\S.{{0,59}})|\s+(\d{{1,2}}))$")
BARE_LIMIT = 60


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
    """The lettered questions to list in a mail sent while the conversation waits in `state`: the flow's menus
    still ahead of it (flows.form), less the letters already answered."""
    return [LETTERS[name] for name in ahead(state) if name in LETTERS and LETTERS[name] not in known]


def render_form(settings: Settings, catalog: Catalog, language: str, letters: list[str], first: bool) -> str:
    """The lettered questions with their numbered options, and how to answer them."""
    if not letters:
        return ""
    intro = catalog.text("email.form_intro" if first else "email.form_more", language, example=f"{letters[0]} 1")
    asked = ask_all(settings, catalog, language, [FIELD_OF[letter] for letter in letters])
    blocks = [intro]
    for letter, question in zip(letters, asked, strict=True):
        lines = [f"{letter}. {question.text}"]
        lines += ["   " + numbered(n, choice.label) for n, choice in enumerate(question.choices, 1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
