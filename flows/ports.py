"""What the conversation needs from the rest of the helpdesk, as ports: the flow depends on these Protocols,
and the engine (the composition of a turn) plugs in the SQL stores of `tickets`. A test or another store can
stand in for any of them without the flow knowing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tickets.feedback import NotFixedOutcome
from tickets.problems import Joiner, KnownProblem
from tickets.store import Ticket, TicketStore

if TYPE_CHECKING:
    from kb.loader import KnowledgeBase

__all__ = ["Desk", "Feedback", "Knowledge", "Problems", "TicketStore"]


class Desk(Protocol):
    """The user's side of a ticket's conversation with the team."""

    async def asked_user_last(self, number: str) -> bool: ...
    # returns the ticket the message went to: a merged ticket's survivor
    async def add_user_message(self, number: str, user_id: str, text: str) -> str: ...
    async def withdraw_user_message(self, number: str, user_id: str, text: str) -> bool: ...


class Feedback(Protocol):
    """The user's word on a resolved ticket: fixed or not, a rating, a comment."""

    async def fixed(self, number: str, user_id: str) -> Ticket: ...
    async def not_fixed(self, number: str, user_id: str, words: str) -> NotFixedOutcome: ...
    async def rate(self, number: str, user_id: str, rating: int) -> Ticket: ...
    async def comment(self, number: str, user_id: str, words: str) -> Ticket: ...


class Problems(Protocol):
    """Open known problems a description is compared with, and joining one."""

    async def known(self, ulb: str | None) -> list[KnownProblem]: ...
    async def join(self, problem_id: int, who: Joiner) -> Ticket: ...


@runtime_checkable
class Knowledge(Protocol):
    """The knowledge base's entries as they are now (the matcher swaps them on reload)."""

    @property
    def knowledge_base(self) -> KnowledgeBase: ...
