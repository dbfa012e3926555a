"""Loading the knowledge base: every file checked, every problem reported, never half a KB."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.errors import InvalidContent, Problem
from kb.normalize import Synonyms
from kb.schema import Entry
from kb.yamlsource import YamlDocument, read_yaml

log = logging.getLogger(__name__)

SYNONYMS_FILE = "synonyms.yaml"


@dataclass(frozen=True)
class Source:
    """Where an entry was written: file, line, and the parsed file to find its fields' lines in."""

    file: str
    line: int | None
    doc: YamlDocument | None = field(default=None, compare=False, repr=False)
    index: int = 0

    def line_of(self, name: str) -> int | None:
        """The line of a field such as `alternates[2]` or `translations.or.answer`, else the entry's."""
        if self.doc is None:
            return self.line
        path = [int(i) if i else key for key, i in _PATH_PART.findall(name)]
        return self.doc.line_of(("entries", self.index, *path))


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class KnowledgeBase:
    """Validated entries (in file order), where each came from, and the synonyms to normalise with."""

    entries: tuple[Entry, ...] = ()
    sources: tuple[Source, ...] = ()
    synonyms: Synonyms = field(default_factory=Synonyms)
    directory: Path | None = None

    def get(self, entry_id: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)

    def source_of(self, entry_id: str) -> Source | None:
        return next((s for e, s in zip(self.entries, self.sources, strict=True) if e.id == entry_id), None)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk loading allocates millions of small objects that all stay alive; the cyclic collector would
    scan them again and again for nothing (a third of a 10,000-entry load), so it waits until we are done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_kb_dir() -> Path:
    """The content shipped with the package: kb/content."""
    return Path(__file__).resolve().parent / "content"


def content_files(directory: Path) -> list[Path]:
    """The YAML content files of a directory, in name order."""
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return sorted(path for path in files if path.name != SYNONYMS_FILE)


def read_knowledge_base(
    directory: Path | None = None, synonyms_path: Path | None = None
) -> tuple[KnowledgeBase, list[Problem]]:
    """Everything valid that could be read, with every problem found (errors and warnings)."""
    directory = directory or default_kb_dir()
    synonyms_path = synonyms_path or directory.parent / SYNONYMS_FILE
    if not directory.is_dir():
        return KnowledgeBase(directory=directory), [Problem(str(directory), None, None, "no such directory")]
    synonyms, problems = read_synonyms(synonyms_path)
    entries: list[Entry] = []
    sources: list[Source] = []
    with gc_paused():
        for path in content_files(directory):
            doc, found = read_yaml(path)
            problems.extend(found)
            if doc is not None:
                for entry, source in _entries_of(doc, problems):
                    entries.append(entry)
                    sources.append(source)
    problems.extend(_duplicate_ids(entries, sources))
    return KnowledgeBase(tuple(entries), tuple(sources), synonyms, directory), problems


def load_knowledge_base(directory: Path | None = None, synonyms_path: Path | None = None) -> KnowledgeBase:
    """The knowledge base the bot serves; raises InvalidContent listing every error if there is any."""
    kb, problems = read_knowledge_base(directory, synonyms_path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidContent(errors)
    log.info("loaded %d knowledge-base entries from %s", len(kb.entries), kb.directory)
    return kb


def read_synonyms(path: Path) -> tuple[Synonyms, list[Problem]]:
    """Synonyms from a YAML mapping of canonical phrase -> variants; a missing file means none."""
    if not path.is_file():
        return Synonyms(), []
    doc, problems = read_yaml(path)
    if doc is None:
        return Synonyms(), problems
    mapping: dict[str, list[str]] = {}
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.file, doc.line_of(()), None, "must map a phrase to its variants"))
        return Synonyms(), problems
    for canonical, variants in doc.data.items():
        good = isinstance(variants, list) and all(isinstance(v, str | int) for v in variants)
        if not isinstance(canonical, str) or not good:
            line = doc.line_of((str(canonical),))
            problems.append(Problem(doc.file, line, str(canonical), "must be a list of variant phrases"))
            continue
        mapping[canonical] = [str(v) for v in variants]
    return Synonyms.from_mapping(mapping), problems


def _entries_of(doc: YamlDocument, problems: list[Problem]) -> Iterable[tuple[Entry, Source]]:
    data = doc.data
    if not isinstance(data, dict) or "entries" not in data:
        problems.append(Problem(doc.file, doc.line_of(()), "entries", "the file must start with `entries:`"))
        return
    extra = [key for key in data if key != "entries"]
    for key in extra:
        problems.append(Problem(doc.file, doc.line_of((key,)), str(key), "unknown top-level key"))
    items = data["entries"]
    if not isinstance(items, list):
        problems.append(Problem(doc.file, doc.line_of(("entries",)), "entries", "must be a list of entries"))
        return
    for index, item in enumerate(items):
        line = doc.line_of(("entries", index))
        try:
            entry = Entry.model_validate(item)
        except ValidationError as err:
            problems.extend(_problem(doc, index, error) for error in err.errors())
            continue
        yield entry, Source(doc.file, line, doc, index)


def _dotted(path: Sequence[str | int]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _problem(doc: YamlDocument, index: int, error: ErrorDetails) -> Problem:
    loc = [part for part in error["loc"] if part != "[key]"]
    line = doc.line_of(("entries", index, *loc))
    name = _dotted(loc)
    return Problem(doc.file, line, name or None, _message(error, loc))


_TYPES = {
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of fields",
    "date_type": "must be a date like 2026-11-20",
}


def _message(error: ErrorDetails, loc: Sequence[str | int]) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items, has {ctx.get('actual_length')}"
    if kind == "string_too_long":
        return f"is {len(str(value).strip())} characters long; the limit is {ctx.get('max_length')}"
    if kind == "string_pattern_mismatch":
        if loc and loc[0] == "id":
            return f"{value!r} is not a slug: use lower-case letters, digits and hyphens, e.g. forgot-password"
        return f"{value!r} is not an http(s) link"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return _TYPES.get(kind, _describe(error["msg"], value))


def _describe(message: str, value: Any) -> str:
    return f"{message} (got {value!r})" if isinstance(value, str | int | float) else message


def _duplicate_ids(entries: Sequence[Entry], sources: Sequence[Source]) -> list[Problem]:
    first: dict[str, Source] = {}
    problems: list[Problem] = []
    for entry, source in zip(entries, sources, strict=True):
        seen = first.setdefault(entry.id, source)
        if seen is not source:
            where = f"{seen.file}:{seen.line}"
            problems.append(Problem(source.file, source.line, "id", f"duplicate id {entry.id!r}, also at {where}"))
    return problems
