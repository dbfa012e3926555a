"""`helpdesk kb lint`: every problem in the content, errors and warnings, each with file, line and field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import Problem
from kb.loader import KnowledgeBase, Source, read_knowledge_base
from kb.matcher import LexicalMatcher
from kb.messages import LANGUAGE_NAMES
from kb.schema import TRANSLATED_LANGS, Entry


@dataclass(frozen=True)
class LintOptions:
    """What counts as stale, and how close two entries' scores may be before users would get the wrong one."""

    max_age_days: int = 365
    margin: float = 0.03
    today: dt.date | None = None
    check_confusion: bool = True


def lint(
    directory: Path | None = None, synonyms_path: Path | None = None, options: LintOptions | None = None
) -> list[Problem]:
    """All problems, errors first then warnings, in file and line order."""
    options = options or LintOptions()
    kb, problems = read_knowledge_base(directory, synonyms_path)
    problems.extend(_warnings(kb, options))
    if options.check_confusion and kb.entries:
        problems.extend(confusions(kb, options.margin))
    if not kb.entries and not problems:
        problems.append(Problem(str(kb.directory), None, None, "no entries found", "warning"))
    return sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line or 0))


def _warnings(kb: KnowledgeBase, options: LintOptions) -> Iterator[Problem]:
    today = options.today or dt.date.today()
    for entry, source in zip(kb.entries, kb.sources, strict=True):
        for lang in TRANSLATED_LANGS:
            if lang not in entry.translations:
                line = source.line_of("translations")
                name = LANGUAGE_NAMES[lang]
                yield Problem(source.file, line, f"translations.{lang}", f"no {name} translation", "warning")
        for lang in entry.stale_translations():
            name = LANGUAGE_NAMES[lang]
            message = (f"The {name} translation is stale: the English changed after it was written; update it, "
                       "or confirm it is still right in the console (or delete `stale: true`)")
            yield Problem(source.file, source.line_of(f"translations.{lang}"), f"translations.{lang}", message,
                          "warning")
        if entry.reviewed and (today - entry.reviewed).days > options.max_age_days:
            age = (today - entry.reviewed).days
            message = f"last reviewed {entry.reviewed} ({age} days ago); review it again"
            yield Problem(source.file, source.line_of("reviewed"), "reviewed", message, "warning")


def confusions(kb: KnowledgeBase, margin: float) -> Iterator[Problem]:
    """Entries the matcher itself would mix up: measured by matching each entry's own phrasings."""
    matcher = LexicalMatcher.from_knowledge_base(kb, threshold=0.0)
    for entry, source in zip(kb.entries, kb.sources, strict=True):
        for name, text in _phrasings(entry):
            ranked = matcher.rank(text, limit=2)
            if not ranked:
                continue
            top, score = ranked[0]
            if top.id != entry.id:
                yield _confusion(source, name, f"{text!r} is matched to entry {top.id!r}{_at(kb, top.id)} first")
            elif name == "question" and len(ranked) > 1 and score - ranked[1][1] < margin:
                other = ranked[1][0].id
                message = f"scores almost as high for entry {other!r}{_at(kb, other)}; make them more distinct"
                yield _confusion(source, name, message)


def _phrasings(entry: Entry) -> Iterator[tuple[str, str]]:
    yield "question", entry.question
    for index, text in enumerate(entry.alternates):
        yield f"alternates[{index}]", text
    for lang, translation in entry.translations.items():
        yield f"translations.{lang}.question", translation.question
        for index, text in enumerate(translation.alternates):
            yield f"translations.{lang}.alternates[{index}]", text


def _confusion(source: Source, name: str, message: str) -> Problem:
    return Problem(source.file, source.line_of(name), name, message, "warning")


def _at(kb: KnowledgeBase, entry_id: str) -> str:
    source = kb.source_of(entry_id)
    return f" ({source.file}:{source.line})" if source else ""
