"""Loading and saving conversations, one user at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, exists, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Tx, utcnow
from core.errors import ConflictError
from core.messages import Choice, Reply, UserRef
from flows.models import ConversationRow, ProcessedEventRow


@dataclass
class StoredConversation:
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    checked: bool | None = None  # the value of load_for_update's `check`, if one was given
    seen: bool = False  # load_for_update's event was processed before (as far as the statement could see)


# The statements of every conversation turn are built once, with bind parameters, rather than per turn:
# building one and computing its cache key cost SQLAlchemy ~0.1-0.2 ms each, a large part of a turn's CPU
# (bench/README.md). Parameters: p_channel, p_user (the user), p_now, and per statement the rest.
# On the tables, not the mapped classes: the ORM's bulk paths (and its evaluation of an UPDATE's criteria
# against every loaded object) cost more than the statements.
_EVENTS = cast(Table, ProcessedEventRow.__table__)
_CONVERSATIONS = cast(Table, ConversationRow.__table__)


@cache
def _event_statement(dialect: str, with_replies: bool) -> Any:
    """The event's key recorded once (ON CONFLICT DO NOTHING; RETURNING says whether this call recorded it),
    with the turn's replies when `with_replies`."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values: dict[str, Any] = {"channel": bindparam("p_channel"), "user_id": bindparam("p_user"),
                              "message_id": bindparam("p_message"), "processed_at": bindparam("p_now")}
    if with_replies:
        values["replies"] = bindparam("p_replies", type_=_EVENTS.c.replies.type)
    return insert(_EVENTS).values(values).on_conflict_do_nothing().returning(_EVENTS.c.message_id)


# whether event p_message of the user was processed: asked inside the conversation upsert (load_for_update)
_SEEN = exists().where(_EVENTS.c.channel == bindparam("p_channel"), _EVENTS.c.user_id == bindparam("p_user"),
                       _EVENTS.c.message_id == bindparam("p_message"))


@cache
def _upsert_statement(dialect: str, check: ColumnElement[bool] | None) -> Any:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_CONVERSATIONS).values(
        channel=bindparam("p_channel"), user_id=bindparam("p_user"), state=bindparam("p_state"), data={}, version=0,
        updated_at=bindparam("p_now"),
    )
    return insert.on_conflict_do_update(
        index_elements=[_CONVERSATIONS.c.channel, _CONVERSATIONS.c.user_id],
        set_={"version": _CONVERSATIONS.c.version},
    ).returning(_CONVERSATIONS.c.state, _CONVERSATIONS.c.data, _CONVERSATIONS.c.version,
                (check if check is not None else literal(None)).label("checked"), _SEEN.label("seen"))


_SAVE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.channel == bindparam("p_channel"), _CONVERSATIONS.c.user_id == bindparam("p_user"),
           _CONVERSATIONS.c.version == bindparam("p_version"))
    .values(state=bindparam("p_state"), data=bindparam("p_data", type_=_CONVERSATIONS.c.data.type),
            version=bindparam("p_version") + 1, updated_at=bindparam("p_now"))
)


def _reply_json(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "choices": [[c.id, c.label] for c in reply.choices], "ticket": reply.ticket,
            "meta": reply.meta, "parts": list(reply.parts)}


def _reply_of(data: dict[str, Any]) -> Reply:
    return Reply(data["text"], tuple(Choice(i, label) for i, label in data["choices"]), data.get("ticket"),
                 meta=dict(data.get("meta") or {}), parts=tuple(data.get("parts") or ()))


class SqlConversationStore:
    """Conversation rows inside the caller's transaction."""

    def __init__(self, tx: Tx | AsyncSession) -> None:
        self._sql = Tx.of(tx)
        self._session = self._sql.session

    async def claim_event(self, user: UserRef, message_id: str) -> bool:
        """Record the event's key; False when it was already processed (a retried delivery)."""
        params = {"p_channel": user.channel, "p_user": user.user_id, "p_message": message_id, "p_now": utcnow()}
        return await self._sql.first(_event_statement(self._sql.dialect, False), params) is not None

    async def record_event(self, user: UserRef, message_id: str, replies: list[Reply]) -> bool:
        """Record a processed event's key with what it answered, in the same transaction as its effects, in one
        statement; False when the key was recorded already (by a transaction that committed after
        load_for_update looked: the caller rolls back)."""
        params = {"p_channel": user.channel, "p_user": user.user_id, "p_message": message_id, "p_now": utcnow(),
                  "p_replies": [_reply_json(r) for r in replies]}
        return await self._sql.first(_event_statement(self._sql.dialect, True), params) is not None

    async def replies_of(self, user: UserRef, message_id: str) -> list[Reply]:
        """What a processed event answered ([] for one processed before replies were kept)."""
        stored = await self._session.scalar(
            select(ProcessedEventRow.replies)
            .where(ProcessedEventRow.channel == user.channel, ProcessedEventRow.user_id == user.user_id,
                   ProcessedEventRow.message_id == message_id)
        )
        return [_reply_of(r) for r in stored or []]

    async def load_for_update(
        self, user: UserRef, initial_state: str, check: ColumnElement[bool] | None = None,
        message_id: str | None = None,
    ) -> StoredConversation:
        """The user's conversation, created if new, locked until the transaction ends (PostgreSQL).

        One statement: an upsert whose conflict branch rewrites nothing but takes the row lock (as FOR UPDATE
        would) and returns the row, new or old; and `check` (a boolean SQL expression, e.g. an EXISTS) read in
        the same round trip into `checked`. `check` is a constant built once, and its bind parameters are
        p_channel, p_user and p_now (see SqlOutbox.PENDING_FOR_USER). `seen`: whether event `message_id` was
        processed, as of the statement's start (on PostgreSQL one committed while it waited for the row lock
        is not seen: record_event then says so).
        """
        statement = _upsert_statement(self._sql.dialect, check)
        params = {"p_channel": user.channel, "p_user": user.user_id, "p_state": initial_state, "p_now": utcnow(),
                  "p_message": message_id}
        row = await self._sql.first(statement, params)
        if row is None:
            raise RuntimeError("the conversation upsert returned no row")
        checked = None if row["checked"] is None else bool(row["checked"])
        return StoredConversation(row["state"], dict(row["data"] or {}), row["version"], checked, bool(row["seen"]))

    async def peek(self, user: UserRef) -> StoredConversation | None:
        query = select(ConversationRow.state, ConversationRow.data, ConversationRow.version).where(
            ConversationRow.channel == user.channel, ConversationRow.user_id == user.user_id
        )
        row = (await self._session.execute(query)).one_or_none()
        return None if row is None else StoredConversation(row.state, dict(row.data or {}), row.version)

    async def save(self, user: UserRef, conversation: StoredConversation) -> None:
        """Write the new state; the version check turns a lost update into an error instead of data loss."""
        saved = await self._sql.rowcount(_SAVE, {
            "p_channel": user.channel, "p_user": user.user_id, "p_version": conversation.version,
            "p_state": conversation.state, "p_data": conversation.data, "p_now": utcnow()})
        if saved != 1:
            raise ConflictError(f"conversation of {user} changed underneath")
        conversation.version += 1

