from __future__ import annotations

from kb.loader import KnowledgeBase
from kb.matcher import LexicalMatcher
from kb.schema import Entry
from kb.synthetic import generated_entries


def test_generated_entries_are_valid_content_the_matcher_can_find() -> None:
    entries = tuple(Entry.model_validate(data) for data in generated_entries(40, 5))
    assert [e.id for e in entries[:2]] == ["entry-0", "entry-1"]
    matcher = LexicalMatcher.from_knowledge_base(KnowledgeBase(entries))
    assert matcher.match(entries[7].alternates[1]).hits[0].entry_id == "entry-7"
