"""Text normalisation shared by entries and queries: case, digits, punctuation, synonyms, stemming."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import Stemmer  # type: ignore[import-not-found]  # PyStemmer: Snowball stemmers in C

# Odia (U+0B66..) and Devanagari (U+0966..) digits read as ASCII digits.
_DIGITS = {0x0B66 + i: str(i) for i in range(10)} | {0x0966 + i: str(i) for i in range(10)}
_FOLD: dict[int, str | None] = {**_DIGITS, ord("'"): None, ord("’"): None, ord("`"): None}  # "don't": one word
# Keep letters, digits and the Odia / Devanagari blocks (their vowel signs are not \w); split on the rest.
_SPLIT = re.compile(r"[^\w\u0900-\u0963\u0966-\u097F\u0B00-\u0B7F]+|_")

SCRIPTS = ("latin", "odia", "devanagari")
SCRIPT_LANG = {"latin": "en", "odia": "or", "devanagari": "hi"}
# Words that name no problem; only for labelling groups of texts (the matcher keeps them and lets IDF weigh).
_STOPWORDS = (
    "a an the i me my we our you your it its is am are was were be been do does did to of in on at for and "
    "or so can could would should will this that there how what when where why which who with from "
    "have has had get got"
)
STOPWORDS = frozenset(_STOPWORDS.split())


_ODIA_LETTERS = re.compile(r"[\u0B05-\u0B39\u0B5C-\u0B61\u0B71]")
_DEVANAGARI_LETTERS = re.compile(r"[\u0904-\u0939\u0958-\u0961\u0972-\u097F]")
_LATIN_LETTERS = re.compile(r"[^\W\d_\u0900-\u097F\u0B00-\u0B7F]")


def script_of(text: str) -> str:
    """The script most letters of `text` are written in: latin, odia or devanagari (digits do not count)."""
    if text.isascii():
        return "latin"
    counts = {
        "odia": len(_ODIA_LETTERS.findall(text)),
        "devanagari": len(_DEVANAGARI_LETTERS.findall(text)),
        "latin": len(_LATIN_LETTERS.findall(text)),
    }
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else "latin"


def fold(text: str) -> str:
    """NFKC, case-folded, Indic digits as ASCII, apostrophes dropped."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)


def split_words(text: str) -> list[str]:
    """Folded text cut into words at punctuation and spaces."""
    return [word for word in _SPLIT.split(fold(text)) if word]


_ENGLISH = Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of an English word; words in other scripts pass unchanged."""
    if not word.isascii() or not word.isalpha():
        return word
    return str(_ENGLISH.stemWord(word))


@dataclass(frozen=True)
class Synonyms:
    """Variant phrases rewritten to a canonical phrase, matched as whole words."""

    phrases: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    longest: int = 0
    starts: frozenset[str] = frozenset()  # first words of the variants: most words start none

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Iterable[str]]) -> Synonyms:
        phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in mapping.items():
            target = tuple(split_words(canonical))
            for variant in variants:
                key = tuple(split_words(variant))
                if key and key != target:
                    phrases[key] = target
        return cls(phrases, max((len(k) for k in phrases), default=0), frozenset(k[0] for k in phrases))

    def rewrite(self, words: list[str]) -> list[str]:
        """Replace each longest variant found, left to right."""
        if not self.phrases:
            return words
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in self.starts:
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self.longest, len(words) - i), 0, -1):
                target = self.phrases.get(tuple(words[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out


@dataclass(frozen=True)
class Normalizer:
    """Turns text into the terms the matcher counts."""

    synonyms: Synonyms = field(default_factory=Synonyms)

    def words(self, text: str) -> list[str]:
        """Folded words with synonyms rewritten, before stemming."""
        return self.synonyms.rewrite(split_words(text))

    def terms(self, text: str) -> list[str]:
        """Stemmed words. Function words stay: "where" and "when" tell intents apart; IDF weighs them."""
        return [stem(word) for word in self.words(text)]

    def flat(self, text: str) -> str:
        """The normalised words joined by single spaces, for character-level comparison."""
        return " ".join(self.terms(text))

    def phrasing(self, text: str) -> tuple[list[str], str]:
        """Terms and flat text at once."""
        terms = self.terms(text)
        return terms, " ".join(terms)
