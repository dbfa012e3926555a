"""The seam between the conversation engine and the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Hit:
    """One knowledge-base entry offered for a query, its texts in the language asked for."""

    entry_id: str
    question: str
    answer: str
    score: float
    module: str


@dataclass(frozen=True)
class MatchResult:
    """Ranked hits (best first) and whether the matcher declines to answer at all."""

    hits: tuple[Hit, ...]
    abstain: bool

    @property
    def confident_hits(self) -> tuple[Hit, ...]:
        return () if self.abstain else self.hits


class Matcher(Protocol):
    """Ranks whole knowledge-base entries for a user's words; pure and synchronous."""

    def match(
        self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None
    ) -> MatchResult: ...
