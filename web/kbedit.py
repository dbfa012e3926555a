"""The KB edit form: English, Odia and Hindi side by side, parsed into an entry (naming every wrong field).

The id is fixed once an entry exists (renaming is its own action); `reviewed` becomes the day of the save
and a blank owner becomes the maintainer who saved. Changing the English question or answer marks each
translation stale unless the maintainer updated it in the same save or ticked "still right".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.errors import InvalidContent
from kb.editing import atomic_write, locked, save_entry
from kb.loader import read_knowledge_base
from kb.messages import describe
from kb.schema import TRANSLATED_LANGS, Entry

LIST_FIELDS = ("alternates", "tags", "links")  # one item per line in the form
FIELDS = ("id", "question", "alternates", "answer", "module", "audience", "tags", "links", "owner")
TRANSLATION_FIELDS = ("question", "alternates", "answer")
FORM_FIELDS = (*FIELDS, *(f"{lang}_{name}" for lang in TRANSLATED_LANGS for name in (*TRANSLATION_FIELDS, "confirm")))


@dataclass
class Draft:
    """What the form holds: raw strings per field, and the errors found, by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def form_of(entry: Entry) -> dict[str, str]:
    """The entry's values as the form shows them (lists one item per line)."""
    data = entry.model_dump()
    values = {k: "\n".join(data[k]) if k in LIST_FIELDS else ("" if data[k] is None else str(data[k]))
              for k in FIELDS}
    for lang, translation in entry.translations.items():
        values[f"{lang}_question"] = translation.question
        values[f"{lang}_alternates"] = "\n".join(translation.alternates)
        values[f"{lang}_answer"] = translation.answer
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _translations(values: Mapping[str, str], old: Entry | None, english_changed: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for lang in TRANSLATED_LANGS:
        texts = {name: values.get(f"{lang}_{name}", "").replace("\r\n", "\n").strip() for name in TRANSLATION_FIELDS}
        if not any(texts.values()):
            continue
        data: dict[str, Any] = {"alternates": _lines(texts["alternates"])}
        data |= {name: texts[name] for name in ("question", "answer") if texts[name]}  # blank: "missing", as in lint
        before = old.translations.get(lang) if old else None  # type: ignore[call-overload]
        updated = before is None or (before.question, before.alternates, before.answer) != (
            data.get("question"), data["alternates"], data.get("answer"))
        confirmed = values.get(f"{lang}_confirm") == "yes"
        if not (updated or confirmed) and (english_changed or (before is not None and before.stale)):
            data["stale"] = True
        found[lang] = data
    return found


def parse(values: Mapping[str, str], old: Entry | None, *, today: dt.date, who: str) -> tuple[Entry | None, Draft]:
    """The entry the form describes, or None and the draft with an error for each wrong field."""
    draft = Draft(dict(values))
    data: dict[str, Any] = {k: values.get(k, "").replace("\r\n", "\n").strip() for k in FIELDS if k not in LIST_FIELDS}
    for name in LIST_FIELDS:
        data[name] = _lines(values.get(name, ""))
    if old is not None:
        data["id"] = old.id  # ids never change in the form: renaming keeps the old one as an alias
        data["aliases"] = list(old.aliases)
        draft.values["id"] = old.id
    data["owner"] = data["owner"] or who
    draft.values["owner"] = data["owner"]
    data["reviewed"] = today
    english_changed = old is not None and (old.question, old.answer) != (data["question"], data["answer"])
    data["translations"] = _translations(values, old, english_changed)
    try:
        entry = Entry.model_validate(data)
    except ValidationError as err:
        for problem in err.errors():
            draft.errors.setdefault(form_field(problem["loc"]), describe(problem))
        return None, draft
    return entry, draft


def form_field(loc: tuple[int | str, ...]) -> str:
    """The form's input for an error's location: `alternates`, `or_answer`, ..."""
    parts = [p for p in loc if p != "[key]"]
    if len(parts) >= 3 and parts[0] == "translations":
        return f"{parts[1]}_{parts[2]}"
    return str(parts[0]) if parts else "id"


def write_checked(directory: Path, path: Path, entry: Entry, replaces: str | None, started_from: str | None) -> None:
    """Save the entry, then check the whole knowledge base; put the file back if it no longer loads."""
    with locked(directory / ".knowledge-base"):  # one save checks the whole base at a time
        previous = save_entry(path, entry, replaces, started_from)
        _, problems = read_knowledge_base(directory)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            atomic_write(path, previous)
            raise InvalidContent(errors)
