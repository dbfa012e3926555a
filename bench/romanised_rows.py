"""What the romanised route's benchmarks choose on: the shipped knowledge base, MiniLM (whose vocabulary
coverage tells romanised Hindi/Odia from English) and the romanised rows of kb/tuning/*-oos.yaml.
kb/eval/romanised.yaml is never read."""

from __future__ import annotations

from pathlib import Path

from kb.encoders import Encoders, load_encoders
from kb.evaluate import Case, load_cases
from kb.loader import KnowledgeBase, load_knowledge_base
from kb.loo import remembering
from kb.matcher import ROMANISED_BELOW

ROOT = Path(__file__).resolve().parent.parent


def is_romanised(encoders: Encoders, text: str) -> bool:
    """Latin letters MiniLM's vocabulary mostly does not know: the matcher's romanised route."""
    return text.isascii() and encoders.by_script["latin"].coverage(text) < ROMANISED_BELOW


def romanised_rows() -> tuple[KnowledgeBase, Encoders, list[Case]]:
    """The knowledge base, MiniLM alone (each text encoded once) and the romanised out-of-scope rows."""
    kb = load_knowledge_base(ROOT / "kb" / "content")
    encoders = remembering(load_encoders(1, ["minilm"]))
    rows = [case for path in sorted((ROOT / "kb" / "tuning").glob("*-oos.yaml")) for case in load_cases(path)]
    return kb, encoders, [case for case in rows if is_romanised(encoders, case.text)]
