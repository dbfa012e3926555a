"""The voice line runs the shared conversation: what a caller told us (language, role, ULB) moves from
`voice_callers` into the profile of their conversation (channel "voice"), and calls in the middle of the old
keypad questions go on from the main menu. Conversation data is typed and versioned (flows.memory): stored
rows, version 1 (the same keys, no version), are stamped version 2 (a known problem's id as a number).

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.db import JsonType, UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PROFILE = ("language", "role", "ulb")
CALL_STATES = ("flow", "menu", "done")  # bot.voice

callers = sa.table(
    "voice_callers", sa.column("number", sa.String), sa.column("language", sa.String), sa.column("role", sa.String),
    sa.column("ulb", sa.String), sa.column("updated_at", UtcDateTime),
)
conversations = sa.table(
    "conversations", sa.column("id", sa.Integer), sa.column("channel", sa.String), sa.column("user_id", sa.String),
    sa.column("state", sa.String), sa.column("data", JsonType), sa.column("version", sa.Integer),
    sa.column("updated_at", UtcDateTime),
)
calls = sa.table("voice_calls", sa.column("state", sa.String))
DATA_VERSION = 2  # flows.memory.VERSION when this migration was written


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    for caller in bind.execute(sa.select(callers)).mappings():
        told = {name: caller[name] for name in PROFILE if caller[name]}
        mine = (conversations.c.channel == "voice") & (conversations.c.user_id == caller["number"])
        found = bind.execute(sa.select(conversations.c.id, conversations.c.data).where(mine)).first()
        if found is None:  # "new" with a profile: the first event goes straight to the problem
            bind.execute(conversations.insert().values(channel="voice", user_id=caller["number"], state="new",
                                                       data={"profile": told}, version=0, updated_at=now))
        else:
            data: dict[str, Any] = dict(found.data or {})
            data["profile"] = {**told, **data.get("profile", {})}  # what the conversation knows wins
            bind.execute(conversations.update().where(conversations.c.id == found.id).values(data=data))
    bind.execute(calls.update().where(calls.c.state.not_in(CALL_STATES)).values(state="menu"))
    op.drop_table("voice_callers")
    for row_id, data in bind.execute(sa.select(conversations.c.id, conversations.c.data)).all():
        if (data or {}).get("version") is None:
            bind.execute(conversations.update().where(conversations.c.id == row_id).values(data=_version_2(data or {})))


def _version_2(data: dict[str, Any]) -> dict[str, Any]:
    stamped = {**data, "version": DATA_VERSION}
    case = data.get("case") or {}
    problem = case.get("problem")
    if problem and str(problem.get("id", "")).isdigit():
        stamped["case"] = {**case, "problem": {**problem, "id": int(problem["id"])}}
    return stamped


def downgrade() -> None:
    op.create_table(
        "voice_callers",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8)),
        sa.Column("role", sa.String(64)),
        sa.Column("ulb", sa.String(64)),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    voice = sa.select(conversations.c.user_id, conversations.c.data).where(conversations.c.channel == "voice")
    for user_id, data in bind.execute(voice):
        profile = (data or {}).get("profile", {})
        if all(profile.get(name) for name in PROFILE) and len(user_id) <= 32:
            bind.execute(callers.insert().values(number=user_id, updated_at=now,
                                                 **{name: profile[name] for name in PROFILE}))
    bind.execute(calls.update().values(state="done"))  # the old keypad cannot go on from the new states
    for row_id, data in bind.execute(sa.select(conversations.c.id, conversations.c.data)).all():
        if data and "version" in data:  # version 1 had none
            bind.execute(conversations.update().where(conversations.c.id == row_id)
                         .values(data={k: v for k, v in data.items() if k != "version"}))
