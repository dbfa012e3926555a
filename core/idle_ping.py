"""Ping a pooled server connection before reuse only when it has been idle: a busy pool pays nothing.

SQLAlchemy's `pool_pre_ping` pings on every checkout: on PostgreSQL that is a round trip (and a BEGIN and
ROLLBACK) before each request's own, two of them for an API request (its token and its work), and ~15% of
the queue's CPU. A connection handed back a moment ago is as alive as the server was then; one idle for a
while may have been dropped (a server restart, a network cut) without anyone noticing. Those are pinged,
and a dead one is replaced before the request gets it. A connection that dies while busy raises a
disconnect error, which makes SQLAlchemy replace every connection of the pool that was made before it.
"""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

IDLE_S = 1.0  # pinged when handed back longer ago than this


def ping_when_idle(engine: AsyncEngine, idle_s: float = IDLE_S) -> None:
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")  # None: just connected
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as err:
            if dialect.is_disconnect(cast(Any, err), dbapi_connection, None):
                raise DisconnectionError(f"a pooled connection idle for {time.monotonic() - since:.0f} s") from err
            raise
        if not alive:
            raise DisconnectionError("a pooled connection did not answer its ping")  # the pool connects anew

    event.listen(engine.sync_engine.pool, "checkin", checked_in)
    event.listen(engine.sync_engine.pool, "checkout", checked_out)
