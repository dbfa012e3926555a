"""Reading what the user typed: menu numbers in any script, option labels, close misspellings, commands."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from flows.words import COMMAND_WORDS, GREETING_WORDS, all_words

# Odia (U+0B66..) and Devanagari (U+0966..) digits read as ASCII digits.
_DIGITS = {0x0B66 + i: str(i) for i in range(10)} | {0x0966 + i: str(i) for i in range(10)}

FUZZY_CUTOFF = 80.0
FUZZY_MARGIN = 8.0
_BRACKETED = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class Option:
    """A menu option: what the user sees, and which trigger (with which value) picking it fires."""

    id: str
    label: str
    trigger: str = "picked"
    value: str = ""
    aliases: tuple[str, ...] = field(default=())
    # the label in the other languages, rendered only when typed words are read (not for every menu shown)
    translations: Callable[[], tuple[str, ...]] = field(default=tuple, compare=False)

    def names(self) -> tuple[str, ...]:
        """Labels in every language, and each label's bracketed part and the rest (for "ମାପ ପୁସ୍ତକ (Measurement Book)")."""
        names: list[str] = []
        for label in (self.label, *self.translations()):
            names += [label, *_bracket_parts(label)]
        return tuple(dict.fromkeys(n for n in map(normalize, names) if n))


def normalize(text: str) -> str:
    """Case-folded, NFKC, native digits as ASCII, surrounding punctuation and spaces trimmed."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS).casefold()
    return " ".join(text.split()).strip(" .!,;:")


def _bracket_parts(label: str) -> list[str]:
    match = _BRACKETED.search(label)
    if match is None:
        return []
    return [match.group(1), _BRACKETED.sub(" ", label)]


# Words that work as commands in every state, in every language; the value is the flow's trigger.
COMMANDS: dict[str, str] = {
    normalize(word): trigger for trigger, by_language in COMMAND_WORDS.items()
    for words in by_language.values() for word in words
}


GREETINGS = frozenset(normalize(word) for word in all_words(GREETING_WORDS))


def is_greeting(text: str) -> bool:
    """Whether a whole message is only a greeting ("hi", "ନମସ୍କାର", "नमस्ते")."""
    return normalize(text) in GREETINGS


def command_of(text: str) -> str | None:
    """The command a whole message names (`/help` as Telegram sends it works too), else None."""
    words = normalize(text).lstrip("/")
    return COMMANDS.get(words)


def resolve(options: Sequence[Option], text: str, *, fuzzy: bool = True) -> Option | None:
    """The option a typed answer means: its number, its id, its label or alias, or (`fuzzy`) a close
    misspelling."""
    typed = normalize(text)
    if not typed:
        return None
    if typed.isdigit():
        index = int(typed) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if typed == option.id or typed in option.names() or typed in map(normalize, option.aliases):
            return option
    return _closest(options, typed) if fuzzy else None


def _closest(options: Sequence[Option], typed: str) -> Option | None:
    """A unique clear winner by fuzzy match, or None: a near tie is not a choice the user made."""
    # labels only: aliases are short words ("na", "ha") that would be found inside any longer text
    names = [(name, option) for option in options for name in option.names()]
    scored = process.extract(typed, [n for n, _ in names], scorer=fuzz.WRatio, limit=None)
    best_by_option: dict[str, float] = {}
    for _, score, index in scored:
        option = names[index][1]
        best_by_option[option.id] = max(best_by_option.get(option.id, 0.0), score)
    ranked = sorted(best_by_option.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] < FUZZY_CUTOFF:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MARGIN:
        return None
    return next(o for o in options if o.id == ranked[0][0])
