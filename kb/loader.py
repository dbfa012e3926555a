"""Loading the knowledge base: every file checked, every problem reported, never half a KB."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from core.errors import InvalidContent, Problem
from kb.messages import describe
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
        """The entry with this id, or the one renamed from it (its old id kept as an alias)."""
        found = next((entry for entry in self.entries if entry.id == entry_id), None)
        return found or next((entry for entry in self.entries if entry_id in entry.aliases), None)

    def resolve(self, entry_id: str) -> str:
        """The current id of an entry named by its id or by an old one; unknown ids come back unchanged."""
        found = self.get(entry_id)
        return found.id if found else entry_id

    def source_of(self, entry_id: str) -> Source | None:
        entry_id = self.resolve(entry_id)
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
    if not synonyms_path.is_file():
        message = (f"no {SYNONYMS_FILE} at {synonyms_path} (beside the content folder): matching uses no synonyms; "
                   f"copy kb/{SYNONYMS_FILE} there")
        problems.append(Problem(str(directory), None, None, message, "warning"))
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
    for problem in problems:
        if SYNONYMS_FILE in problem.message:
            log.warning("%s", problem)
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
    return Problem(doc.file, line, name or None, describe(error))


def _duplicate_ids(entries: Sequence[Entry], sources: Sequence[Source]) -> list[Problem]:
    first: dict[str, Source] = {}
    problems: list[Problem] = []
    for entry, source in zip(entries, sources, strict=True):
        for name, entry_id in (("id", entry.id), *(("aliases", alias) for alias in entry.aliases)):
            seen = first.setdefault(entry_id, source)
            if seen is not source:
                where = f"{seen.file}:{seen.line}"
                message = f"the id {entry_id!r} is used twice, also at {where}; each id (and old id) must be unique"
                problems.append(Problem(source.file, source.line, name, message))
    return problems
