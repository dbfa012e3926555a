"""Message catalogues: every user-facing text is looked up by key, per language, with named placeholders."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidContent, Problem

LANGUAGES = ("en", "or", "hi")
DEFAULT_LANGUAGE = "en"
# libyaml's parser when PyYAML was built with it: the three catalogues parse in ~30 ms instead of ~300
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
OPERATOR_LANGUAGE = "en"  # the bot's side of a transcript is also kept in this language, for the operators
IST = timezone(timedelta(hours=5, minutes=30), "IST")  # India has no daylight saving: a fixed offset is exact
# ISO 639-2/3 codes some clients send instead of the two-letter ones
_LANGUAGE_ALIASES = {"ori": "or", "ory": "or", "hin": "hi", "eng": "en"}


def supported_language(hint: str | None) -> str | None:
    """The catalogue language a channel's hint names ("or-IN", "hi", "en_US"), or None."""
    if not hint:
        return None
    primary = hint.strip().replace("_", "-").split("-")[0].casefold()
    code = _LANGUAGE_ALIASES.get(primary, primary)
    return code if code in LANGUAGES else None


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _flatten(prefix: str, node: Any, out: dict[str, str], file: str, problems: list[Problem]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out, file, problems)
    elif isinstance(node, str):
        out[prefix] = node
    else:
        problems.append(Problem(file, None, prefix, f"expected text, found {type(node).__name__}"))


class Catalog:
    """Texts by language and key; a language that lacks a key falls back to English."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        if DEFAULT_LANGUAGE not in texts:
            raise InvalidContent([Problem("<catalog>", None, None, "no English catalogue")])
        self._texts = texts

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        """Read `<lang>.yaml` files (nested keys are joined with dots)."""
        texts: dict[str, dict[str, str]] = {}
        problems: list[Problem] = []
        for path in sorted(directory.glob("*.yaml")):
            flat: dict[str, str] = {}
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}  # noqa: S506 (a safe loader)
            except yaml.YAMLError as err:
                mark = getattr(err, "problem_mark", None)
                line = mark.line + 1 if mark is not None else None
                problems.append(Problem(str(path), line, None, f"not valid YAML: {err}"))
                continue
            _flatten("", data, flat, str(path), problems)
            texts[path.stem] = flat
        if problems:
            raise InvalidContent(problems)
        return cls(texts)

    def overlaid(self, overlay: Catalog) -> Catalog:
        """This catalogue with `overlay`'s texts in their place, language by language: a channel's own wording
        (the phone's) for some keys, and this catalogue's text in a language the overlay does not cover."""
        return Catalog({lang: {**table, **overlay._texts.get(lang, {})} for lang, table in self._texts.items()})

    def has(self, key: str) -> bool:
        return key in self._texts[DEFAULT_LANGUAGE]

    def keys(self) -> set[str]:
        return set(self._texts[DEFAULT_LANGUAGE])

    def languages(self) -> list[str]:
        return sorted(self._texts, key=lambda lang: (lang != DEFAULT_LANGUAGE, lang))

    def keys_of(self, lang: str) -> set[str]:
        return set(self._texts.get(lang, {}))

    def placeholders(self, key: str, lang: str = DEFAULT_LANGUAGE) -> set[str]:
        return _fields(self._texts[lang][key])

    def text(self, key: str, lang: str | None = None, **params: object) -> str:
        """The text for `key` in `lang` with placeholders filled; a missing key is a KeyError (a bug)."""
        table = self._texts.get(lang or DEFAULT_LANGUAGE, {})
        template = table.get(key) or self._texts[DEFAULT_LANGUAGE][key]
        return template.format_map(params)

    def date(self, moment: datetime, lang: str | None = None) -> str:
        """A date as users in India read it: in IST, with the language's month name and order."""
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(IST)
        month = self.text(f"date.month.m{local.month}", lang)
        return self.text("date.format", lang, day=local.day, month=month, year=local.year)


@dataclass(frozen=True)
class CatalogProblem:
    """One thing a translator or developer must fix in the message catalogues."""

    kind: str  # missing, extra, placeholders, unused, undefined
    lang: str
    key: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.lang}.yaml: {self.key}: {self.kind}" + (f" ({self.detail})" if self.detail else "")


def check_catalog(catalog: Catalog, used: Iterable[str]) -> list[CatalogProblem]:
    """Keys missing or extra per language, placeholders unlike English, keys the code never uses or lacks."""
    english = catalog.keys_of(DEFAULT_LANGUAGE)
    wanted = set(used)
    problems = [CatalogProblem("unused", DEFAULT_LANGUAGE, key, "no code uses it") for key in sorted(english - wanted)]
    problems += [CatalogProblem("undefined", DEFAULT_LANGUAGE, key, "the code asks for it")
                 for key in sorted(wanted - english)]
    for lang in LANGUAGES:
        have = catalog.keys_of(lang)
        problems += [CatalogProblem("missing", lang, key) for key in sorted(english - have)]
        problems += [CatalogProblem("extra", lang, key, "not in en.yaml") for key in sorted(have - english)]
        for key in sorted(english & have):
            want, got = catalog.placeholders(key), catalog.placeholders(key, lang)
            if want != got:
                detail = f"English has {sorted(want)}, this has {sorted(got)}"
                problems.append(CatalogProblem("placeholders", lang, key, detail))
    return problems
