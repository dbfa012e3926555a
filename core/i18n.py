"""Message catalogues: every user-facing text is looked up by key, per language, with named placeholders."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidContent, Problem

LANGUAGES = ("en", "or", "hi")
DEFAULT_LANGUAGE = "en"


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
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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

    def has(self, key: str) -> bool:
        return key in self._texts[DEFAULT_LANGUAGE]

    def keys(self) -> set[str]:
        return set(self._texts[DEFAULT_LANGUAGE])

    def placeholders(self, key: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self._texts[DEFAULT_LANGUAGE][key]) if name}

    def text(self, key: str, lang: str | None = None, **params: object) -> str:
        """The text for `key` in `lang` with placeholders filled; a missing key is a KeyError (a bug)."""
        table = self._texts.get(lang or DEFAULT_LANGUAGE, {})
        template = table.get(key) or self._texts[DEFAULT_LANGUAGE][key]
        return template.format_map(params)
