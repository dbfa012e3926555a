"""Round-trip editing: a console edit of one entry changes only that entry's lines, on the shipped files."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
import threading
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kb.editing import StaleEntry, fingerprint, rename_entry, save_entry
from kb.loader import default_kb_dir, load_knowledge_base
from kb.schema import Entry
from kb.yamlsource import read_yaml

SHIPPED = sorted(default_kb_dir().glob("*.yaml"))
DAY = dt.date(2026, 12, 2)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(default_kb_dir(), folder)
    shutil.copy(default_kb_dir().parent / "synonyms.yaml", tmp_path / "synonyms.yaml")
    return folder


def entry_spans(text: str) -> dict[str, range]:
    """Each entry's lines (0-based), from its `- id:` to the line before the next entry's."""
    entries = YAML().load(text)["entries"]
    starts = [e.lc.line for e in entries] + [len(text.splitlines())]
    return {e["id"]: range(starts[i], starts[i + 1]) for i, e in enumerate(entries)}


def changed_lines(old: str, new: str) -> set[int]:
    """Old-file line numbers a diff touches (an insertion counts as touching the line before it)."""
    touched: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            touched.update(range(i1, i2) if i2 > i1 else [i1 - 1])
    return touched


def edited(entry: Entry) -> Entry:
    """What a maintainer does in the form: a new English answer, translations marked stale, reviewed today."""
    translations = {lang: t.model_copy(update={"stale": True}) for lang, t in entry.translations.items()}
    return entry.model_copy(update={"answer": entry.answer + " Ask your ULB's MUKTA admin if this does not work.",
                                    "reviewed": DAY, "owner": entry.owner or "asha", "translations": translations})


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_editing_one_entry_changes_only_its_lines_in_every_shipped_file(content: Path, path: Path) -> None:
    target = content / path.name
    original = target.read_text(encoding="utf-8")
    kb = load_knowledge_base(content)
    spans = entry_spans(original)
    assert "#" in original  # every shipped file carries comments that must survive
    for entry_id, span in spans.items():
        entry = kb.get(entry_id)
        assert entry is not None
        save_entry(target, edited(entry), entry_id, fingerprint(entry))
        after = target.read_text(encoding="utf-8")
        assert changed_lines(original, after) <= set(span), entry_id
        assert [line for line in original.splitlines() if line.lstrip().startswith("#")] == [
            line for line in after.splitlines() if line.lstrip().startswith("#")]
        doc, problems = read_yaml(target)  # this file alone: loading all twelve per entry is slow
        assert doc is not None and not problems
        reloaded = next(Entry.model_validate(e) for e in doc.data["entries"] if e["id"] == entry_id)
        assert reloaded == edited(entry)
        target.write_text(original, encoding="utf-8")


def test_a_comment_inside_an_entry_survives_an_edit_of_that_entry(content: Path) -> None:
    target = content / "login.yaml"
    text = target.read_text(encoding="utf-8").replace(
        "      - kemiti login karibi\n", "      - kemiti login karibi   # Odia, romanised\n", 1)
    target.write_text(text, encoding="utf-8")
    entry = load_knowledge_base(content).get("employee-login")
    assert entry is not None
    save_entry(target, edited(entry), "employee-login", fingerprint(entry))
    assert "      - kemiti login karibi   # Odia, romanised\n" in target.read_text(encoding="utf-8")


def test_an_edit_from_an_older_version_of_the_entry_is_refused(content: Path) -> None:
    target = content / "login.yaml"
    entry = load_knowledge_base(content).get("employee-login")
    assert entry is not None
    started = fingerprint(entry)
    save_entry(target, entry.model_copy(update={"owner": "first"}), "employee-login", started)
    with pytest.raises(StaleEntry, match="someone else saved entry 'employee-login'"):
        save_entry(target, entry.model_copy(update={"owner": "second"}), "employee-login", started)
    assert load_knowledge_base(content).get("employee-login").owner == "first"  # type: ignore[union-attr]


def test_concurrent_saves_of_different_entries_in_one_file_keep_both(content: Path) -> None:
    target = content / "login.yaml"
    kb = load_knowledge_base(content)
    ids = [e.id for e in kb.entries if kb.source_of(e.id).file == str(target)][:6]  # type: ignore[union-attr]
    barrier = threading.Barrier(len(ids))

    def save(entry_id: str) -> None:
        entry = kb.get(entry_id)
        assert entry is not None
        barrier.wait(timeout=10)
        save_entry(target, entry.model_copy(update={"owner": f"owner-of-{entry_id}"}), entry_id, fingerprint(entry))

    threads = [threading.Thread(target=save, args=(entry_id,)) for entry_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    after = load_knowledge_base(content)
    assert [after.get(i).owner for i in ids] == [f"owner-of-{i}" for i in ids]  # type: ignore[union-attr]


def test_a_rename_keeps_the_old_id_as_an_alias(content: Path) -> None:
    target = content / "login.yaml"
    rename_entry(target, "employee-login", "web-login")
    kb = load_knowledge_base(content)
    renamed = kb.get("employee-login")
    assert renamed is not None and renamed.id == "web-login" and renamed.aliases == ["employee-login"]
    assert kb.resolve("employee-login") == "web-login"


def test_an_eval_case_naming_the_old_id_still_counts_as_right(content: Path) -> None:
    from kb.evaluate import Case, run_cases
    from kb.matcher import LexicalMatcher

    rename_entry(content / "login.yaml", "forgot-password", "reset-forgotten-password")
    matcher = LexicalMatcher.from_knowledge_base(load_knowledge_base(content))
    [outcome] = run_cases(matcher, [Case("i forgot my password", "forgot-password")])
    assert outcome.top == "reset-forgotten-password" and outcome.is_right(matcher.threshold)
