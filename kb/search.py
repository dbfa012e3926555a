"""The maintainers' search: every language's question, alternates and answer, typo-tolerant, by script.

Not the bot's matcher: a maintainer looks for the entry that says something, so every word they type must
appear in the entry (in any field), either inside a word of it or, from four letters on, spelt nearly the
same (rapidfuzz's ratio). A word is compared only with words in its own script, so "ଉପସ୍ଥାନ" finds the Odia
texts and "पासवर्ड" the Hindi ones. The field where most of the words were found is shown, words marked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from kb.messages import LANGUAGE_NAMES
from kb.normalize import script_of
from kb.schema import Entry

# Latin letters and digits, and whole Devanagari and Odia words with their vowel signs (which \w leaves out)
_WORD = re.compile(r"[\w\u0900-\u0963\u0966-\u097f\u0b00-\u0b7f]+")
TYPO_MIN_LENGTH = 4
TYPO_RATIO = 80.0
FIELD_NAMES = {"id": "Id", "question": "Question", "alternates": "Other ways users ask it", "answer": "Answer"}


@dataclass(frozen=True)
class Field:
    name: str  # id, question, alternates, answer
    lang: str  # en, or, hi
    text: str

    @property
    def label(self) -> str:
        name = FIELD_NAMES[self.name]
        return name if self.lang == "en" else f"{LANGUAGE_NAMES[self.lang]}: {name.lower()}"


@dataclass(frozen=True)
class Found:
    """An entry that has every word searched for, and the field to show with the words marked."""

    entry: Entry
    score: float
    field: Field
    parts: tuple[tuple[str, bool], ...]  # the field's text cut into (piece, marked)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def fields(entry: Entry) -> Iterator[Field]:
    yield Field("id", "en", entry.id)
    yield Field("question", "en", entry.question)
    for text in entry.alternates:
        yield Field("alternates", "en", text)
    yield Field("answer", "en", entry.answer)
    for lang, translation in entry.translations.items():
        yield Field("question", lang, translation.question)
        for text in translation.alternates:
            yield Field("alternates", lang, text)
        yield Field("answer", lang, translation.answer)


def _word_score(word: str, token: str) -> float:
    if word in token:
        return 100.0 if word == token or token.startswith(word) else 95.0
    if len(word) >= TYPO_MIN_LENGTH and abs(len(token) - len(word)) <= 3:
        return fuzz.ratio(word, token, score_cutoff=TYPO_RATIO)
    return 0.0


def _hits(words: Sequence[tuple[str, str]], field: Field) -> dict[int, tuple[float, list[tuple[int, int]]]]:
    """For each query word found in the field: its best score and the spans of the words it matched."""
    found: dict[int, tuple[float, list[tuple[int, int]]]] = {}
    folded = _fold(field.text)
    for match in _WORD.finditer(folded):
        token = match.group()
        script = script_of(token)
        for position, (word, word_script) in enumerate(words):
            if word_script != script:
                continue
            score = _word_score(word, token)
            if score:
                best, spans = found.get(position, (0.0, []))
                found[position] = (max(best, score), [*spans, match.span()])
    return found


def _parts(text: str, spans: Sequence[tuple[int, int]]) -> tuple[tuple[str, bool], ...]:
    """Cut `text` into plain and marked pieces (NFKC keeps these scripts' lengths, so spans carry over)."""
    if len(_fold(text)) != len(text):
        return ((text, False),)
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(set(spans)):
        if start < at:
            continue
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return tuple(parts)


def search(entries: Sequence[Entry], query: str, limit: int = 100) -> list[Found]:
    """The entries that contain every word of `query` (in any field and language), best first."""
    words = [(w, script_of(w)) for w in dict.fromkeys(_WORD.findall(_fold(query)))]
    if not words:
        return []
    results: list[Found] = []
    for entry in entries:
        best: dict[int, float] = {}
        shown: tuple[int, float, Field, list[tuple[int, int]]] | None = None
        for field in fields(entry):
            hits = _hits(words, field)
            for position, (score, _) in hits.items():
                best[position] = max(best.get(position, 0.0), score)
            if hits:
                weight = sum(score for score, _ in hits.values())
                if shown is None or (len(hits), weight) > (shown[0], shown[1]):
                    shown = (len(hits), weight, field, [s for _, spans in hits.values() for s in spans])
        if len(best) == len(words) and shown is not None:
            score = sum(best.values()) / len(words) + (5.0 if shown[2].name in ("id", "question") else 0.0)
            results.append(Found(entry, score, shown[2], _parts(shown[2].text, shown[3])))
    return sorted(results, key=lambda f: -f.score)[:limit]
