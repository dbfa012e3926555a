"""Editing one knowledge-base entry from a form: parse, validate (naming the wrong field), write the YAML.

The file is rewritten as YAML from the parsed entries; its leading comment block is kept, comments inside
entries are not (the form edits what the schema holds). The write is atomic: a temporary file renamed
into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.schema import Entry

LIST_FIELDS = ("alternates", "tags", "links")  # one item per line in the form


@dataclass
class Draft:
    """What the form holds: raw strings per field, and the errors found, by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def fingerprint(entry: Entry) -> str:
    """A short digest of the entry as loaded: a form that started from another version is refused."""
    return hashlib.sha256(entry.model_dump_json().encode()).hexdigest()[:16]


def form_of(entry: Entry) -> dict[str, str]:
    data = entry.model_dump()
    values = {k: "\n".join(data[k]) if k in LIST_FIELDS else ("" if data[k] is None else str(data[k]))
              for k in ("id", "question", "alternates", "answer", "module", "audience", "tags", "links", "owner",
                        "reviewed")}
    return values


def parse(values: Mapping[str, str], translations: Mapping[str, Any]) -> tuple[Entry | None, Draft]:
    """The entry the form describes, or None and the draft with an error for each wrong field."""
    draft = Draft(dict(values))
    data: dict[str, Any] = {k: v.strip() for k, v in values.items() if k not in LIST_FIELDS}
    for name in LIST_FIELDS:
        data[name] = [line.strip() for line in values.get(name, "").splitlines() if line.strip()]
    for optional in ("owner", "reviewed"):
        if not data.get(optional):
            data[optional] = None
    if data["reviewed"] is not None:
        try:
            data["reviewed"] = dt.date.fromisoformat(data["reviewed"])
        except ValueError:
            draft.errors["reviewed"] = f"expected a date like 2026-11-21, not {data['reviewed']!r}"
            data["reviewed"] = None
    data["translations"] = dict(translations)
    try:
        entry = Entry.model_validate(data)
    except ValidationError as err:
        for problem in err.errors():
            loc = problem["loc"]
            name = str(loc[0]) if loc else "entry"
            where = f" (line {int(loc[1]) + 1})" if len(loc) > 1 and isinstance(loc[1], int) else ""
            draft.errors.setdefault(name, f"{_plain(problem['msg'])}{where}")
        return None, draft
    return (None, draft) if draft.errors else (entry, draft)


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _dump(entry: Entry) -> dict[str, Any]:
    data = entry.model_dump(exclude_defaults=True)
    data = {"id": entry.id, "question": entry.question, **data}
    return data


def write_entry(path: Path, entry: Entry, replaces: str | None) -> str:
    """Put `entry` in the file (in place of entry `replaces`, or at the end); returns the old text."""
    old = path.read_text(encoding="utf-8") if path.exists() else "entries: []\n"
    document = yaml.safe_load(old) or {}
    entries: list[dict[str, Any]] = list(document.get("entries") or [])
    index = next((i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("id") == replaces), None)
    if index is None:
        entries.append(_dump(entry))
    else:
        entries[index] = _dump(entry)
    header = "".join(itertools.takewhile(lambda line: line.startswith("#"), old.splitlines(keepends=True)))
    body = yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=110)
    atomic_write(path, header + body)
    return old


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".edit-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
