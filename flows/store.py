"""Loading and saving conversations, one user at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import ConflictError
from core.messages import Choice, Reply, UserRef
from flows.models import ConversationRow, ProcessedEventRow


@dataclass
class StoredConversation:
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    checked: bool | None = None  # the value of load_for_update's `check`, if one was given


def _insert(session: AsyncSession, table: Any) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _reply_json(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "choices": [[c.id, c.label] for c in reply.choices], "ticket": reply.ticket}


def _reply_of(data: dict[str, Any]) -> Reply:
    return Reply(data["text"], tuple(Choice(i, label) for i, label in data["choices"]), data.get("ticket"))


class SqlConversationStore:
    """Conversation rows inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_event(self, user: UserRef, message_id: str) -> bool:
        """Record the event's key; False when it was already processed (a retried delivery)."""
        statement = (
            _insert(self._session, ProcessedEventRow)
            .values(channel=user.channel, user_id=user.user_id, message_id=message_id, processed_at=utcnow())
            .on_conflict_do_nothing()
            .returning(ProcessedEventRow.message_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def remember_replies(self, user: UserRef, message_id: str, replies: list[Reply]) -> None:
        """Keep what a processed event answered, in the same transaction as its effects."""
        await self._session.execute(
            update(ProcessedEventRow)
            .where(ProcessedEventRow.channel == user.channel, ProcessedEventRow.user_id == user.user_id,
                   ProcessedEventRow.message_id == message_id)
            .values(replies=[_reply_json(r) for r in replies])
        )

    async def replies_of(self, user: UserRef, message_id: str) -> list[Reply]:
        """What a processed event answered ([] for one processed before replies were kept)."""
        stored = await self._session.scalar(
            select(ProcessedEventRow.replies)
            .where(ProcessedEventRow.channel == user.channel, ProcessedEventRow.user_id == user.user_id,
                   ProcessedEventRow.message_id == message_id)
        )
        return [_reply_of(r) for r in stored or []]

    async def load_for_update(
        self, user: UserRef, initial_state: str, check: ColumnElement[bool] | None = None
    ) -> StoredConversation:
        """The user's conversation, created if new, locked until the transaction ends (PostgreSQL).

        One statement: an upsert whose conflict branch rewrites nothing but takes the row lock (as FOR UPDATE
        would) and returns the row, new or old; and `check` (a boolean SQL expression, e.g. an EXISTS) read in
        the same round trip into `checked`.
        """
        insert = _insert(self._session, ConversationRow).values(
            channel=user.channel, user_id=user.user_id, state=initial_state, data={}, version=0, updated_at=utcnow()
        )
        statement = insert.on_conflict_do_update(
            index_elements=[ConversationRow.channel, ConversationRow.user_id],
            set_={"version": ConversationRow.version},
        ).returning(ConversationRow.state, ConversationRow.data, ConversationRow.version,
                    (check if check is not None else literal(None)).label("checked"))
        row = (await self._session.execute(statement)).one()
        checked = None if row.checked is None else bool(row.checked)
        return StoredConversation(state=row.state, data=dict(row.data or {}), version=row.version, checked=checked)

    async def peek(self, user: UserRef) -> StoredConversation | None:
        query = select(ConversationRow.state, ConversationRow.data, ConversationRow.version).where(
            ConversationRow.channel == user.channel, ConversationRow.user_id == user.user_id
        )
        row = (await self._session.execute(query)).one_or_none()
        return None if row is None else StoredConversation(row.state, dict(row.data or {}), row.version)

    async def save(self, user: UserRef, conversation: StoredConversation) -> None:
        """Write the new state; the version check turns a lost update into an error instead of data loss."""
        result = await self._session.execute(
            update(ConversationRow)
            .where(
                ConversationRow.channel == user.channel,
                ConversationRow.user_id == user.user_id,
                ConversationRow.version == conversation.version,
            )
            .values(state=conversation.state, data=conversation.data, version=conversation.version + 1,
                    updated_at=utcnow())
        )
        if getattr(result, "rowcount", 0) != 1:
            raise ConflictError(f"conversation of {user} changed underneath")
        conversation.version += 1
