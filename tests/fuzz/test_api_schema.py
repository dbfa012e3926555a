"""schemathesis against the real app's OpenAPI schema, in process: for every operation, generated requests
(with an admin token and a channel key) never get a 5xx, and every response matches the schema."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.tokens import SqlTokenStore
from app.wiring import build_app, build_services
from core.settings import Settings

EXAMPLES_PER_OPERATION = 30
KEY = "schema-key"


def load_schema() -> tuple[schemathesis.BaseSchema, str]:
    """The real app on a SQLite file of its own, and an admin token (built when the module is collected:
    schemathesis makes one test per operation from the schema)."""
    folder = Path(tempfile.mkdtemp())
    services = build_services(Settings(database_url=f"sqlite:///{folder / 'api.db'}", data_dir=folder / "data",
                                       channel_keys={"fuzz": KEY}))

    async def admin_token() -> str:
        async with services.sessions() as session, session.begin():
            return await SqlTokenStore(session).create("fuzz-admin", "admin", None, [])

    token = asyncio.run(admin_token())
    return schemathesis.openapi.from_asgi("/openapi.json", build_app(services)), token


schema, TOKEN = load_schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_schema(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}", "X-Channel-Key": KEY},
                           checks=[not_a_server_error, response_schema_conformance])
