from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidContent, Problem
from kb.loader import default_kb_dir, load_knowledge_base, read_knowledge_base
from tests.kb.conftest import GOOD_CONTENT, VALID_ENTRY, write_content


def _problems(tmp_path: Path, text: str) -> list[Problem]:
    content = write_content(tmp_path, {"login.yaml": text})
    _, problems = read_knowledge_base(content)
    return [p for p in problems if p.severity == "error"]


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_good_fixture_loads_every_entry_with_its_synonyms() -> None:
    kb = load_knowledge_base(GOOD_CONTENT)
    assert [e.id for e in kb.entries][:2] == ["forgot-password", "otp-not-received"]
    assert len(kb.entries) == 5
    assert kb.synonyms.phrases[("mb",)] == ("measurement", "book")


def test_each_entry_remembers_the_file_and_line_it_came_from() -> None:
    kb = load_knowledge_base(GOOD_CONTENT)
    source = kb.source_of("otp-not-received")
    assert source is not None
    assert source.file.endswith("login.yaml")
    assert source.line == 24
    assert source.line_of("alternates[1]") == 28


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ('    answer: Tap "Forgot Password" on the login page.\n', "", 2, "answer", "required"),
        ('Tap "Forgot Password" on the login page.', "''", 5, "answer", "must not be empty"),
        ("module: login", "module: roads", 6, "module", "The module 'roads' is unknown; use one of"),
        ('Tap "Forgot Password" on the login page.', "x" * 601, 5, "answer", "601 characters"),
        ("question: I forgot my password", "question: 42", 3, "question", "must be text"),
        ("id: forgot-password", "id: Forgot_Password", 2, "id", "not a slug"),
        ("[forgot pwd, password bhul gaya, reset my password]", "[forgot pwd, reset]", 4, "alternates", "at least 3"),
        ("module: login", "module: login\n    audience: everyone", 7, "audience", "'employee', 'cbo' or 'all'"),
        ("module: login", "module: login\n    reviewed: last week", 7, "reviewed", "date"),
        ("module: login", "module: login\n    colour: red", 7, "colour", "unknown field"),
        ("module: login", "module: login\n    module: bills", 7, "module", "twice"),
        ("alternates: [", "alternates: [42, ", 4, "alternates[0]", "must be text"),
        (
            "module: login",
            "module: login\n    translations:\n      or:\n        question: ପାସୱାର୍ଡ",
            8,
            "translations.or.answer",
            "required",
        ),
        (
            "module: login",
            "module: login\n    translations:\n      od: {question: a, answer: b}",
            8,
            "translations.od",
            "'or' or 'hi'",
        ),
    ],
)
def test_a_malformed_entry_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, words: str
) -> None:
    assert old in VALID_ENTRY
    problem = _only(_problems(tmp_path, VALID_ENTRY.replace(old, new)))
    assert problem.file.endswith("login.yaml")
    assert (problem.line, problem.field) == (line, field)
    assert words in problem.message


def test_bad_yaml_names_the_line_where_it_breaks(tmp_path: Path) -> None:
    broken = VALID_ENTRY.replace("question: I forgot my password", 'question: "unclosed')
    problem = _only(_problems(tmp_path, broken))
    assert problem.message.startswith("bad YAML")
    assert problem.line is not None and problem.line >= 3


def test_a_file_without_entries_is_reported(tmp_path: Path) -> None:
    problem = _only(_problems(tmp_path, "- id: forgot-password\n"))
    assert (problem.line, problem.field) == (1, "entries")


def test_a_duplicate_id_names_both_places(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY, "b.yaml": "# same again\n" + VALID_ENTRY})
    _, problems = read_knowledge_base(content)
    problem = _only(problems)
    assert problem.file.endswith("b.yaml")
    assert (problem.line, problem.field) == (3, "id")
    assert f"{content / 'a.yaml'}:2" in problem.message


def test_every_problem_in_every_file_is_reported_not_just_the_first(tmp_path: Path) -> None:
    bad = VALID_ENTRY.replace("module: login", "module: roads").replace("id: forgot-password", "id: X")
    content = write_content(tmp_path, {"a.yaml": bad, "b.yaml": "entries: [\n"})
    _, problems = read_knowledge_base(content)
    found = {(Path(p.file).name, p.field) for p in problems}
    assert found == {("a.yaml", "id"), ("a.yaml", "module"), ("b.yaml", None)}


def test_the_bot_gets_no_half_loaded_knowledge_base(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY, "b.yaml": VALID_ENTRY.replace("login", "roads")})
    with pytest.raises(InvalidContent) as caught:
        load_knowledge_base(content)
    _, problems = read_knowledge_base(content)
    assert caught.value.problems == problems
    assert "b.yaml:6: error: module: The module 'roads' is unknown" in str(caught.value)


def test_synonyms_sit_beside_the_content_folder(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY})
    (tmp_path / "synonyms.yaml").write_text("password: [pwd, passwd]\n", encoding="utf-8")
    kb = load_knowledge_base(content)
    assert kb.synonyms.rewrite(["forgot", "pwd"]) == ["forgot", "password"]


def test_malformed_synonyms_are_an_error_with_a_line(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY})
    (tmp_path / "synonyms.yaml").write_text("password: [pwd]\nmb: measurement book\n", encoding="utf-8")
    _, problems = read_knowledge_base(content)
    problem = _only(problems)
    assert (Path(problem.file).name, problem.line, problem.field) == ("synonyms.yaml", 2, "mb")


def test_the_packaged_content_folder_is_kb_content() -> None:
    assert default_kb_dir().parts[-2:] == ("kb", "content")
