"""Shared fixtures for the knowledge-base tests: small KBs written for each test or kept in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.loader import KnowledgeBase, load_knowledge_base
from kb.matcher import LexicalMatcher

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_CONTENT = FIXTURES / "good" / "content"

# One valid entry; line numbers matter to the tests: 1 entries, 2 id, 3 question, 4 alternates,
# 5 answer, 6 module.
VALID_ENTRY = """\
entries:
  - id: forgot-password
    question: I forgot my password
    alternates: [forgot pwd, password bhul gaya, reset my password]
    answer: Tap "Forgot Password" on the login page.
    module: login
"""


def write_content(root: Path, files: dict[str, str]) -> Path:
    """A content folder under `root` holding the given files; returns the folder."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    synonyms = root / "synonyms.yaml"  # beside the folder, as shipped (none at all is itself a lint warning)
    if not synonyms.exists():
        synonyms.write_text("{}\n", encoding="utf-8")
    for name, text in files.items():
        (content / name).write_text(text, encoding="utf-8")
    return content


@pytest.fixture(scope="session")
def good_kb() -> KnowledgeBase:
    return load_knowledge_base(GOOD_CONTENT)


@pytest.fixture(scope="session")
def matcher(good_kb: KnowledgeBase) -> LexicalMatcher:
    return LexicalMatcher.from_knowledge_base(good_kb)
