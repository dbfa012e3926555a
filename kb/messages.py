"""What is wrong with an entry, said the way a maintainer would say it, naming the field.

`helpdesk kb lint`, the loader and the console's edit form all describe a problem with `describe`, so a
maintainer reads the same sentence wherever it is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from kb.schema import ANSWER_LIMIT

LANGUAGE_NAMES = {"en": "English", "or": "Odia", "hi": "Hindi"}
LABELS = {
    "id": "The id",
    "aliases": "An old id",
    "question": "The question",
    "alternates": "Other ways users ask it",
    "answer": "The answer",
    "module": "The module",
    "audience": "The audience",
    "tags": "A tag",
    "links": "A link",
    "owner": "The owner",
    "reviewed": "The reviewed date",
    "translations": "The translations",
    "stale": "The stale mark",
}


def label(loc: Sequence[str | int]) -> str:
    """'The Odia answer', 'Other ways users ask it (line 2)': a field as the form and lint name it."""
    parts = [p for p in loc if p != "[key]"]
    lang = ""
    if len(parts) >= 3 and parts[0] == "translations" and isinstance(parts[1], str):
        lang, parts = LANGUAGE_NAMES.get(parts[1], parts[1]), parts[2:]
    name = str(parts[0]) if parts else "translations"
    text = LABELS.get(name, f"The field {name!r}")
    if lang:
        text = f"The {lang} {text.removeprefix('The ').lower()}" if text.startswith("The ") else f"{text} in {lang}"
    line = next((p for p in parts[1:] if isinstance(p, int)), None)
    return f"{text} (line {line + 1})" if line is not None else text


def describe(error: ErrorDetails) -> str:
    """One validation error of an entry as a sentence that starts with the field's name."""
    loc = [part for part in error["loc"] if part != "[key]"]
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    what = label(loc)
    if kind == "missing":
        return f"{what} is required but missing"
    if kind == "string_too_short":
        return f"{what} must not be empty: write something here or remove it"
    if kind == "too_short":
        return f"{what}: needs at least {ctx.get('min_length')}, one per line; there are {ctx.get('actual_length')}"
    if kind == "string_too_long":
        length = len(str(value).strip())
        return f"{what} is {length} characters long; the limit is {ANSWER_LIMIT}: shorten it to fit a phone screen"
    if kind == "string_pattern_mismatch":
        if loc and loc[0] in ("id", "aliases"):
            return (f"{what} {value!r} is not a slug: use only lower-case letters, digits and hyphens, "
                    "e.g. forgot-password")
        return f"{what} {value!r} is not an http(s) link: it must start with https:// (or http://)"
    if kind == "extra_forbidden":
        return f"{what} is an unknown field (check the spelling)"
    if kind == "literal_error":
        if len(loc) == 2 and loc[0] == "translations":
            return f"{value!r} is not a language a translation can have: use {ctx.get('expected')} (Odia or Hindi)"
        return f"{what} must be {ctx.get('expected')}, not {value!r}"
    if kind == "value_error":
        return f"{what} {ctx.get('error', error['msg'])}"
    return f"{what} {_TYPES.get(kind) or _fallback(error['msg'], value)}"


_TYPES = {
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of fields",
    "date_type": "must be a date like 2026-11-20",
    "date_from_datetime_parsing": "must be a date like 2026-11-20",
    "bool_type": "must be true or false",
}


def _fallback(message: str, value: Any) -> str:
    return f"is not right: {message.lower()} (got {value!r})" if isinstance(value, str | int | float) else message
