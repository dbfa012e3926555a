from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb.lint import LintOptions, lint
from kb.loader import content_files, default_kb_dir
from tests.kb.conftest import GOOD_CONTENT, VALID_ENTRY, write_content

TODAY = LintOptions(today=dt.date(2026, 11, 21))

TRANSLATED = (
    VALID_ENTRY
    + """\
    translations:
      or: {question: ମୁଁ ପାସୱାର୍ଡ ଭୁଲିଗଲି, answer: Forgot Password ଦବାନ୍ତୁ।}
      hi: {question: मैं पासवर्ड भूल गया, answer: Forgot Password दबाएँ।}
"""
)

TWIN = """\
  - id: reset-password
    question: I forgot my password
    alternates: [forgot pwd, password bhul gaya, reset my password]
    answer: Another answer.
    module: login
"""


def test_the_good_fixture_is_clean() -> None:
    assert lint(GOOD_CONTENT, options=TODAY) == []


def test_missing_translations_are_warnings_not_errors(tmp_path: Path) -> None:
    problems = lint(write_content(tmp_path, {"a.yaml": VALID_ENTRY}), options=TODAY)
    assert [(p.line, p.field, p.severity) for p in problems] == [
        (2, "translations.or", "warning"),
        (2, "translations.hi", "warning"),
    ]
    assert "no Odia translation" in problems[0].message


def test_an_old_review_date_is_a_warning_on_its_line(tmp_path: Path) -> None:
    stale = TRANSLATED.replace("module: login\n", "module: login\n    reviewed: 2025-06-30\n")
    problems = lint(write_content(tmp_path, {"a.yaml": stale}), options=TODAY)
    assert [(p.line, p.field, p.severity) for p in problems] == [(7, "reviewed", "warning")]
    assert "509 days ago" in problems[0].message
    lenient = LintOptions(max_age_days=600, today=TODAY.today)
    assert lint(write_content(tmp_path, {"a.yaml": stale}), options=lenient) == []


def test_entries_the_matcher_would_confuse_are_named_together(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": TRANSLATED + TWIN})
    problems = [p for p in lint(content, options=TODAY) if not p.field or not p.field.startswith("translations")]
    assert problems, "near-identical entries should be reported"
    assert any("'forgot-password'" in p.message and p.line == 11 for p in problems)
    assert any("'reset-password'" in p.message and p.line == 3 for p in problems)
    assert all(p.severity == "warning" for p in problems)


def test_errors_come_before_warnings(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY, "b.yaml": VALID_ENTRY.replace("login", "roads")})
    severities = [p.severity for p in lint(content, options=TODAY)]
    assert severities[0] == "error"
    assert severities == sorted(severities)


def test_an_empty_folder_is_a_warning(tmp_path: Path) -> None:
    content = write_content(tmp_path, {})
    assert [p.message for p in lint(content)] == ["no entries found"]


def test_the_shipped_content_has_no_errors() -> None:
    if not content_files(default_kb_dir()) if default_kb_dir().is_dir() else True:
        pytest.skip("no shipped knowledge base yet")
    errors = [p for p in lint(options=LintOptions(check_confusion=False)) if p.severity == "error"]
    assert errors == []


def test_a_content_folder_without_synonyms_beside_it_is_a_warning(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": TRANSLATED})
    (tmp_path / "synonyms.yaml").unlink()
    problems = lint(content, options=TODAY)
    assert [(p.severity, p.message.split(" (")[0]) for p in problems] == [
        ("warning", f"no synonyms.yaml at {tmp_path / 'synonyms.yaml'}")]


def test_a_stale_translation_is_a_warning_naming_the_language(tmp_path: Path) -> None:
    stale = TRANSLATED.replace("answer: Forgot Password ଦବାନ୍ତୁ।}", "answer: Forgot Password ଦବାନ୍ତୁ।, stale: true}")
    problems = lint(write_content(tmp_path, {"a.yaml": stale}), options=TODAY)
    assert [(p.line, p.field, p.severity) for p in problems] == [(8, "translations.or", "warning")]
    assert problems[0].message.startswith("The Odia translation is stale: the English changed after it was written")
