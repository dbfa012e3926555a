"""The seam between the conversation engine and the knowledge base."""

from __future__ import annotations

from collections.abc import Collection
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


@dataclass(frozen=True)
class Reasons:
    """Why the matcher offered what it did: the route (the script, or `romanised` for Hindi or Odia typed in
    Latin letters), the best score, its lead over the second entry, the threshold it had to reach (raised
    when lexical and semantic evidence disagree, or when many entries crowd close to the best), whether
    lexical and semantic evidence agreed (None: no semantic evidence), the decision (`clear`: one answer;
    `close`: a few close ones; `below-threshold`, `nothing`: none) and whether the best entry was crowded.
    """

    script: str
    score: float
    margin: float
    threshold: float
    agree: bool | None
    decision: str
    crowded: bool = False


@dataclass(frozen=True)
class Proposal(MatchResult):
    """The entries to offer (`confident_hits`), ranked hits when abstaining, and the reasons."""

    reasons: Reasons | None = None


class Matcher(Protocol):
    """Ranks whole knowledge-base entries for a user's words; pure and synchronous."""

    def match(
        self, text: str, *, lang: str | None = None, limit: int = 3, audience: str | None = None
    ) -> MatchResult: ...

    def propose(
        self,
        text: str,
        *,
        lang: str | None = None,
        limit: int = 3,
        audience: str | None = None,
        exclude: Collection[str] = (),
    ) -> Proposal: ...

    def prepare(self, text: str) -> None:
        """Do now, on the caller's thread, the slow part of matching `text` later (a sentence encoder's query
        vector); the match itself then only scores. Called off the event loop before a turn starts."""

