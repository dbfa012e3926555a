"""Writing one entry back into its YAML file so that only that entry's lines change.

ruamel.yaml's round-trip mode keeps the file's order, comments, quoting and block styles; a field whose
value did not change is not touched at all, and a changed text keeps the style it was written in (a
folded `>-` answer stays folded). The read-modify-write of a file happens under an exclusive lock on a
lock file beside it, so two saves of the same file (by two requests or two server processes) never lose
one another's change; and an edit started from an older version of *its* entry is refused (per-entry
optimistic locking), while edits of the other entries in that file go through.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fcntl
import hashlib
import io
import os
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from core.errors import ConflictError, NotFound
from kb.schema import Entry

FOLD_WIDTH = 100  # the shipped files wrap their answers near here
ENTRY_ORDER = ("id", "aliases", "question", "alternates", "answer", "module", "audience", "tags", "translations",
               "links", "owner", "reviewed")
TRANSLATION_ORDER = ("question", "alternates", "answer", "stale")


class StaleEntry(ConflictError):
    """The entry changed on disk since the form was opened."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line we did not change
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def fingerprint(entry: Entry) -> str:
    """A short digest of an entry's content: the version an edit form started from."""
    return hashlib.sha256(entry.model_dump_json().encode()).hexdigest()[:16]


def entry_data(entry: Entry) -> dict[str, Any]:
    """The entry as the file should hold it: defaults left out, translations' `stale` only when set."""
    data = entry.model_dump(exclude_defaults=True)
    data["id"], data["question"] = entry.id, entry.question
    for lang, translation in entry.translations.items():
        data["translations"][lang] = translation.model_dump(exclude_defaults=True) | {
            "question": translation.question, "answer": translation.answer}
    return data


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Exclusive use of `path` for a read-modify-write, across threads and processes (flock)."""
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def changed_text(path: Path, change: Callable[[CommentedMap], None]) -> tuple[str, str]:
    """The file's text, and its text once `change` is applied to its document (nothing is written)."""
    yaml = _yaml()
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    document = yaml.load(old) if old.strip() else None
    if document is None:
        document = CommentedMap(entries=CommentedSeq())
    change(document)
    out = io.StringIO()
    yaml.dump(document, out)
    return old, out.getvalue()


def edit_file(path: Path, change: Callable[[CommentedMap], None]) -> str:
    """Apply `change` to the file's document (the caller holds the lock); returns the text it had before."""
    old, new = changed_text(path, change)
    atomic_write(path, new)
    return old


def find(document: CommentedMap, entry_id: str) -> CommentedMap | None:
    entries = document.get("entries") or []
    return next((e for e in entries if isinstance(e, CommentedMap) and e.get("id") == entry_id), None)


def current_fingerprint(item: Mapping[str, Any]) -> str | None:
    try:
        return fingerprint(Entry.model_validate(_plain(item)))
    except ValidationError:
        return None


def save_entry(path: Path, entry: Entry, replaces: str | None, started_from: str | None) -> str:
    """Write `entry` over entry `replaces` (or add it at the end); returns the file's old text.

    Raises StaleEntry when entry `replaces` no longer has the fingerprint `started_from`.
    """
    with locked(path):
        return edit_file(path, entry_change(path, entry, replaces, started_from))


def diff_of(path: Path, entry: Entry, replaces: str | None) -> str:
    """The unified diff saving `entry` would make to the file, for a reviewer."""
    old, new = changed_text(path, entry_change(path, entry, replaces, None))
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), path.name, path.name)
    return "".join(lines)


def entry_change(path: Path, entry: Entry, replaces: str | None,
                 started_from: str | None) -> Callable[[CommentedMap], None]:
    """The change to a file's document that puts `entry` in place of `replaces` (or at the end)."""

    def change(document: CommentedMap) -> None:
        entries = document.setdefault("entries", CommentedSeq())
        item = find(document, replaces) if replaces else None
        if replaces and item is None:
            raise NotFound(f"entry {replaces!r} is no longer in {path.name}")
        if item is None:
            entries.append(_fresh(entry_data(entry), ENTRY_ORDER))
            return
        if started_from is not None and current_fingerprint(item) != started_from:
            raise StaleEntry(f"someone else saved entry {replaces!r} after you opened it; your changes were not "
                             "saved. Open it again to see their version, then make your change again.")
        update(item, entry_data(entry), ENTRY_ORDER)

    return change


def rename_entry(path: Path, old_id: str, new_id: str) -> str:
    """Give an entry a new id, keeping the old one as an alias; returns the file's old text."""

    def change(document: CommentedMap) -> None:
        item = find(document, old_id)
        if item is None:
            raise NotFound(f"entry {old_id!r} is no longer in {path.name}")
        aliases = [*(item.get("aliases") or []), old_id]
        data = _plain(item) | {"id": new_id, "aliases": [a for a in dict.fromkeys(aliases) if a != new_id]}
        update(item, data, ENTRY_ORDER)

    with locked(path):
        return edit_file(path, change)


def update(target: CommentedMap, data: Mapping[str, Any], order: tuple[str, ...]) -> None:
    """Make `target` hold `data`, touching only the keys whose values differ, in their usual place.

    The blank line after an entry is a comment on its last key: when the last key changes, it moves along.
    """
    for key in [k for k in target if k not in data]:
        if key == _last(target) and len(target) > 1:
            _carry_trailing(target, key, list(target)[-2])
        del target[key]
    for key in order:
        if key not in data:
            continue
        value = data[key]
        if key in target:
            if _plain(target[key]) != value:
                target[key] = _styled(target[key], value, order)
            continue
        position = sum(1 for k in target if k in order and order.index(k) < order.index(key))
        last = _last(target) if position == len(target) else None
        target.insert(position, key, _styled(None, value, order))
        if last is not None:
            _carry_trailing(target, last, key)


def _last(target: CommentedMap) -> Any:
    return next(reversed(target), None)


def _carry_trailing(target: CommentedMap, source: Any, to: Any) -> None:
    comment = target.ca.items.pop(source, None)
    if comment is not None:
        target.ca.items[to] = comment


def _styled(old: Any, value: Any, order: tuple[str, ...]) -> Any:
    """`value` written the way `old` was (folded, literal, flow list), or the file's usual way when new."""
    if isinstance(value, str):
        if "\n" in value.strip():
            return LiteralScalarString(value)
        if isinstance(old, FoldedScalarString | LiteralScalarString) or (old is None and len(value) > FOLD_WIDTH):
            return _folded(value)
        return value
    if isinstance(value, list):
        seq = CommentedSeq(value)
        short = all(len(str(v)) < 30 for v in value) and len(value) <= 6
        if old.fa.flow_style() if isinstance(old, CommentedSeq) else old is None and short:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, Mapping):
        inner = order if order is TRANSLATION_ORDER else (TRANSLATION_ORDER if set(value) <= set(
            TRANSLATION_ORDER) else tuple(sorted(value)))
        if isinstance(old, CommentedMap):
            update(old, value, inner)
            return old
        return _fresh(value, inner)
    return value


def _fresh(data: Mapping[str, Any], order: tuple[str, ...]) -> CommentedMap:
    fresh = CommentedMap()
    update(fresh, data, order)
    return fresh


def _folded(text: str) -> FoldedScalarString:
    """A `>-` block wrapped near FOLD_WIDTH, at spaces, as a person would."""
    folded: FoldedScalarString = FoldedScalarString(text)
    positions, start = [], 0
    for line in textwrap.wrap(text, FOLD_WIDTH, break_long_words=False, break_on_hyphens=False)[:-1]:
        start = text.index(line, start) + len(line)
        if text[start:start + 1] == " ":
            positions.append(start)
    folded.fold_pos = positions  # type: ignore[attr-defined]  # where ruamel breaks a folded line
    return folded


def _plain(value: Any) -> Any:
    """ruamel's commented containers and scalar strings as plain Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return value
    return value


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".edit-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
