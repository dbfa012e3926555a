"""The knowledge-base file format, written down once: what one entry may and must contain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from core.modules import KNOWN_MODULES

ANSWER_LIMIT = 600
MIN_ALTERNATES = 3
TRANSLATED_LANGS: tuple[str, ...] = ("or", "hi")
LANGS: tuple[str, ...] = ("en", *TRANSLATED_LANGS)
AUDIENCES: tuple[str, ...] = ("employee", "cbo", "all")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_LIMIT)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Translation(_Strict):
    """An entry's texts in another language."""

    question: Text
    alternates: list[Text] = Field(default_factory=list)
    answer: Answer
    stale: bool = False  # the English changed since this was written: a maintainer must confirm or update it


class Entry(_Strict):
    """One question users ask, the ways they ask it, and the answer the bot gives."""

    id: Slug
    aliases: list[Slug] = Field(default_factory=list)  # ids it had before a rename: eval files, tickets
    question: Text
    alternates: list[Text] = Field(min_length=MIN_ALTERNATES)
    answer: Answer
    module: str
    audience: Literal["employee", "cbo", "all"] = "all"
    tags: list[Text] = Field(default_factory=list)
    translations: dict[Literal["or", "hi"], Translation] = Field(default_factory=dict)
    links: list[Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]] = Field(default_factory=list)
    owner: Text | None = None
    reviewed: dt.date | None = None

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str) -> str:
        if value not in KNOWN_MODULES:
            raise ValueError(f"{value!r} is unknown; use one of {', '.join(sorted(KNOWN_MODULES))}")
        return value

    def stale_translations(self) -> list[str]:
        """The languages whose translation is marked as written for an older English text."""
        return [lang for lang, translation in self.translations.items() if translation.stale]

    def phrasings(self, lang: str = "en") -> list[str]:
        """The question and its alternates in one language ("en" or a translation's)."""
        if lang == "en":
            return [self.question, *self.alternates]
        translation = self.translations.get(lang)  # type: ignore[call-overload]
        return [translation.question, *translation.alternates] if translation else []

    def texts(self, lang: str | None) -> tuple[str, str]:
        """(question, answer) in `lang` when translated, else in English."""
        translation = self.translations.get(lang) if lang else None  # type: ignore[call-overload]
        if translation is None:
            return self.question, self.answer
        return translation.question, translation.answer


class ContentFile(_Strict):
    """A whole content file: a mapping with one key, `entries`."""

    entries: list[Entry]
