"""A conversation's memory, typed: rows written before it (version 1, untyped) read the same, and what is
written back keeps the keys and adds the version."""

from __future__ import annotations

from typing import Any

from flows.memory import VERSION, Appended, Memory, OfferedProblem

VERSION_1: dict[str, Any] = {
    "profile": {"language": "or", "role": "cbo", "ulb": "od.jatni"},
    "case": {"description": "bill fails", "attachments": [{"ref": "a", "kind": "image", "name": ""}],
             "faq_offered": [{"id": "e1", "question": "q", "answer": "a", "score": 0.8}], "skip_faq": True,
             "problem": {"id": 4, "title": "Bills down", "workaround": ""}, "module": "bills",
             "category": "bug", "impact": "slowed", "workaround": "no"},
    "transcript": [{"at": "2026-12-01T10:00:00+00:00", "from": "user", "text": "bill fails"}],
    "faq_rejected": ["e0"], "editing": True, "resume": "awaiting_module", "held_text": "later",
    "last_ticket": "HD-000002", "appended": {"number": "HD-000002", "text": "more"},
    "feedback_skipped": "HD-000001",
}


def test_a_version_1_row_reads_typed_and_is_written_back_with_its_version() -> None:
    memory = Memory.from_json(VERSION_1)
    assert memory.profile.complete() and memory.profile.language == "or"
    assert memory.case.problem == OfferedProblem(4, "Bills down")
    assert memory.appended == Appended("HD-000002", "more") and memory.editing
    assert memory.to_json() == {**VERSION_1, "version": VERSION}


def test_an_empty_row_is_a_new_conversation_and_stays_small() -> None:
    memory = Memory.from_json({})
    assert not memory.profile.complete() and memory.case.description == "" and memory.transcript == []
    assert memory.to_json() == {"version": VERSION, "profile": {}, "case": {}}
