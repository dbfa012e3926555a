"""A problem in words is encoded for matching in a thread before its turn starts: while one user's words are
being encoded (an Odia query costs the e5 encoder tens of milliseconds, a long one more), every other user of
the process is still answered."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.i18n import Catalog
from core.settings import Settings
from flows.engine import Engine
from kb.encoders import Encoders, FloatArray
from kb.loader import load_knowledge_base
from kb.matcher import LexicalMatcher
from tests.fakes import ScriptedChat
from tests.kb.conftest import GOOD_CONTENT
from tests.kb.test_fused import ROUTES, ConceptEncoder

HELD = "forgot my password and the otp never arrives"


@dataclass
class SlowEncoder(ConceptEncoder):
    """Holds the encoding of one query until the test lets it go, as a long e5 query holds its thread."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def queries(self, texts: Sequence[str]) -> FloatArray:
        if HELD in texts:
            self.started.set()
            self.release.wait(timeout=20)
        return super().queries(texts)


async def test_other_users_are_answered_while_one_problem_is_being_encoded(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, catalog: Catalog
) -> None:
    encoder = SlowEncoder("slow")
    matcher = LexicalMatcher(load_knowledge_base(GOOD_CONTENT), encoders=Encoders({"latin": encoder}), routes=ROUTES)
    engine = Engine(sessions, matcher, settings, catalog)
    first, second = ScriptedChat(engine, "first"), ScriptedChat(engine, "second")
    await first.send("hello")
    for choice in ("en", "junior_engineer", "od.jatni"):
        await first.send_choice(choice)
    assert await first.state() == "awaiting_problem"

    describing = asyncio.create_task(first.send(HELD))
    assert await asyncio.to_thread(encoder.started.wait, 20)
    try:
        greeted = await asyncio.wait_for(second.send("hello"), timeout=20)
        assert greeted, "the second user got no answer"
        assert not describing.done(), "the first user's turn ran while its words were still being encoded"
    finally:
        encoder.release.set()
    await asyncio.wait_for(describing, timeout=20)
    assert await first.state() != "awaiting_problem"  # the described problem moved the conversation on
