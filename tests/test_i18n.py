"""The message catalogues: complete in every language, used by the code, and read in any script."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.i18n_cli import MESSAGES_DIR, catalog_problems, families, used_keys
from core.errors import InvalidContent
from core.i18n import LANGUAGES, Catalog, supported_language
from core.modules import MENU_MODULES
from flows.input import COMMANDS, normalize
from flows.questions import ROLES
from flows.words import COMMAND_WORDS, GREETING_WORDS, LANGUAGE_NAMES, NO_WORDS, YES_WORDS, all_words
from tickets.priority import CATEGORIES, IMPACTS


def test_every_key_is_in_every_language_with_the_same_placeholders_and_used_by_the_code() -> None:
    assert [str(p) for p in catalog_problems()] == []


def test_helpdesk_i18n_check_prints_the_report_and_succeeds() -> None:
    result = CliRunner().invoke(cli, ["i18n", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "messages"
    shutil.copytree(MESSAGES_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_check_finds_a_missing_key_a_changed_placeholder_and_an_unused_key(tmp_path: Path) -> None:
    messages = _copy(tmp_path)
    _edit(messages / "or.yaml", 'idle: "', 'idle_typo: "')
    _edit(messages / "hi.yaml", "{limit} अक्षर", "{limt} अक्षर")
    _edit(messages / "en.yaml", "idle: ", 'forgotten: "nobody says this"\nidle: ')
    problems = {(p.kind, p.lang, p.key) for p in catalog_problems(messages)}
    assert problems == {
        ("missing", "or", "idle"), ("extra", "or", "idle_typo"), ("placeholders", "hi", "text.truncated"),
        ("unused", "en", "forgotten"), ("missing", "or", "forgotten"), ("missing", "hi", "forgotten"),
    }


def test_the_used_keys_come_from_literal_calls_and_from_the_code_constants() -> None:
    used, unknown = used_keys(Catalog.load(MESSAGES_DIR))
    assert unknown == set()
    assert {"greeting", "ask.confirm", "outbox.resolved_with_text", "target.business_day"} <= used
    assert {f"module.{m}" for m in MENU_MODULES} | {f"role.{r}" for r in ROLES} <= used
    assert {f"priority.reason.{i}.workaround" for i in IMPACTS} <= used
    assert all(template.count(".") for template in families())


@pytest.mark.parametrize(("hint", "language"), [
    ("or", "or"), ("or-IN", "or"), ("OR_in", "or"), ("ory", "or"), ("hi", "hi"), ("hi-IN", "hi"),
    ("en-US", "en"), ("en", "en"), ("fr", None), ("ta-IN", None), ("", None), (None, None),
])
def test_a_channel_language_hint_names_a_catalogue_language(hint: str | None, language: str | None) -> None:
    assert supported_language(hint) == language


@pytest.mark.parametrize(("lang", "shown"), [("en", "1 Feb 2026"), ("or", "1 ଫେବୃଆରୀ 2026"), ("hi", "1 फ़रवरी 2026")])
def test_dates_are_shown_in_ist_in_each_language(lang: str, shown: str) -> None:
    catalog = Catalog.load(MESSAGES_DIR)
    evening_utc = datetime(2026, 1, 31, 19, 0, tzinfo=UTC)  # already 1 February in India
    assert catalog.date(evening_utc, lang) == shown
    assert catalog.date(evening_utc.replace(tzinfo=None), lang) == shown  # naive means UTC


def _all_labels() -> set[str]:
    catalog = Catalog.load(MESSAGES_DIR)
    prefixes = ("role.", "module.", "category.", "impact.", "answer.", "confirm.", "feedback.", "faq.", "language.",
                "followup.")
    keys = [k for k in catalog.keys_of("en") if k.startswith(prefixes) and not catalog.placeholders(k)]
    return {normalize(catalog.text(k, lang)) for k in keys for lang in LANGUAGES}


def test_no_command_word_is_a_menu_label_in_any_language() -> None:
    assert set(COMMANDS) & _all_labels() == set()


def test_each_command_word_names_one_command_and_yes_never_means_no() -> None:
    words = [normalize(w) for by_lang in COMMAND_WORDS.values() for ws in by_lang.values() for w in ws]
    assert len(words) == len(set(words))
    assert set(map(normalize, all_words(YES_WORDS))) & set(map(normalize, all_words(NO_WORDS))) == set()
    assert set(COMMANDS) & set(map(normalize, all_words(YES_WORDS) + all_words(NO_WORDS))) == set()
    assert set(COMMANDS) & set(map(normalize, all_words(LANGUAGE_NAMES))) == set()


def test_a_greeting_is_no_command_yes_no_or_menu_label_and_is_given_in_every_language() -> None:
    greetings = set(map(normalize, all_words(GREETING_WORDS)))
    assert set(GREETING_WORDS) == set(LANGUAGES)
    assert greetings & set(COMMANDS) == set()
    assert greetings & set(map(normalize, all_words(YES_WORDS) + all_words(NO_WORDS))) == set()
    assert greetings & _all_labels() == set()


def test_commands_are_given_in_every_language() -> None:
    for trigger, by_language in COMMAND_WORDS.items():
        assert set(by_language) == set(LANGUAGES), trigger
    assert COMMANDS["ଭାଷା"] == COMMANDS["भाषा"] == COMMANDS["language"] == "change_language"


def test_problem_categories_and_impacts_have_texts_in_every_language() -> None:
    catalog = Catalog.load(MESSAGES_DIR)
    for key in [f"category.{c}" for c in CATEGORIES] + [f"impact.{i}" for i in IMPACTS]:
        texts = {catalog.text(key, lang) for lang in LANGUAGES}
        assert len(texts) == len(LANGUAGES), key


def test_a_new_dynamic_key_or_an_unknown_literal_key_in_the_code_is_reported(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "new.py").write_text(
        'def f(conv, code):\n    conv.say("greeting")\n    conv.say("no.such_key")\n'
        '    return conv.t(f"bogus.{code}")\n'
    )
    problems = {(p.kind, p.key) for p in catalog_problems(MESSAGES_DIR, tmp_path)}
    assert ("undefined", "no.such_key") in problems
    assert ("dynamic", 'flows/new.py: f"bogus.{}"') in problems
    assert ("unused", "idle") in problems and ("unused", "greeting") not in problems


def test_a_catalogue_that_is_not_valid_yaml_is_named_with_its_line(tmp_path: Path) -> None:
    for path in MESSAGES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    broken = tmp_path / "or.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + 'broken: "unclosed\n', encoding="utf-8")
    with pytest.raises(InvalidContent) as raised:
        Catalog.load(tmp_path)
    (problem,) = raised.value.problems
    assert problem.file == str(broken) and "not valid YAML" in problem.message
    assert problem.line is not None and problem.line >= len(broken.read_text(encoding="utf-8").splitlines())
