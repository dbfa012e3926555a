"""The KB edit form: every wrong field is named, and a valid edit is written back as loadable YAML."""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.loader import default_kb_dir, load_knowledge_base
from web.kbedit import form_of, parse, write_entry


def test_each_wrong_field_gets_its_own_message() -> None:
    entry = load_knowledge_base().get("employee-login")
    assert entry is not None
    values = form_of(entry) | {"alternates": "just one", "answer": "x" * 601, "reviewed": "last week",
                               "module": "spaceship", "id": "Not A Slug", "links": "ftp://old.example"}
    parsed, draft = parse(values, {})
    assert parsed is None
    assert set(draft.errors) == {"alternates", "answer", "reviewed", "module", "id", "links"}
    assert "at least 3" in draft.errors["alternates"]
    assert "600" in draft.errors["answer"]
    assert "unknown module 'spaceship'" in draft.errors["module"]
    assert draft.errors["links"].endswith("(line 1)")


def test_a_valid_edit_is_written_in_place_and_the_file_still_loads(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(default_kb_dir(), content)
    shutil.copy(default_kb_dir().parent / "synonyms.yaml", tmp_path / "synonyms.yaml")
    before = load_knowledge_base(content)
    source = before.source_of("employee-login")
    entry = before.get("employee-login")
    assert source is not None and entry is not None
    edited, draft = parse(form_of(entry) | {"answer": "Choose a language, then sign in with your username."},
                          entry.model_dump()["translations"])
    assert edited is not None, draft.errors
    write_entry(Path(source.file), edited, "employee-login")

    after = load_knowledge_base(content)
    changed = after.get("employee-login")
    assert changed is not None and changed.answer == "Choose a language, then sign in with your username."
    assert changed.translations == entry.translations
    assert [e.id for e in after.entries] == [e.id for e in before.entries]
    assert Path(source.file).read_text(encoding="utf-8").startswith("# Login, password")
