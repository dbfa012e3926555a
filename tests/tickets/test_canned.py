"""Canned responses as data: English required, Odia and Hindi falling back to it, placeholders filled."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import InvalidInput, NotFound
from tickets.canned import SqlCanned

Sessions = async_sessionmaker[AsyncSession]


async def test_a_response_is_offered_in_the_tickets_language_with_its_placeholders(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        store = SqlCanned(s)
        made = await store.create("kavya", "  Retry   now ", {"en": "Retry {number}, {name} {other}", "or": "",
                                                              "hi": " {number} फिर से "})
        assert made.title == "Retry now" and set(made.texts) == {"en", "hi"}
        assert made.text_in("hi", number="HD-000001", name="meera") == "HD-000001 फिर से"
        assert made.text_in("or", number="HD-000001", name="meera") == "Retry HD-000001, meera {other}"
        changed = await store.update(made.id, "ravi", "Retry", {"en": "Again {number}", "or": "ପୁଣି {number}"})
        assert changed.text_in("or", number="HD-7") == "ପୁଣି HD-7" and changed.updated_by == "ravi"
        assert "Retry" in [c.title for c in await store.all()]
        await store.delete(made.id)
        with pytest.raises(NotFound):
            await store.update(made.id, "ravi", "Retry", {"en": "x"})
        with pytest.raises(InvalidInput, match=r"^en:"):
            await store.create("kavya", "Only Odia", {"or": "ପୁଣି"})
        with pytest.raises(InvalidInput, match=r"^title:"):
            await store.create("kavya", " ", {"en": "x"})
        with pytest.raises(NotFound):
            await store.delete(0)
