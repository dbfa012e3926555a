"""schemathesis against the real app's OpenAPI schema, in process: for every operation, generated requests
(with an admin token and a channel key) never get a 5xx, and every response matches the schema.

Nothing here passes by luck: the seed is fixed (the same requests in every run, whatever order the operations
run in), Hypothesis keeps no database of past failures to replay, operations that take a row id or a date get
more examples, and a second test sends every id and date parameter the values at and just past the schema's own
bounds and the database's (32- and 64-bit limits, year 1 and 9999, a time without its offset)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.tokens import SqlTokenStore
from app.wiring import build_app, build_services
from core.db import Base
from core.settings import Settings

SEED = 20261201  # every run draws the same requests
EXAMPLES_PER_OPERATION = 30
EXAMPLES_WITH_IDS_OR_DATES = 150  # where the 64-bit id and naive or year-1 dates hid
KEY = "schema-key"
DATABASE = Path(tempfile.mkdtemp()) / "api.db"


@contextlib.asynccontextmanager
async def _no_background_work(app: FastAPI) -> AsyncIterator[None]:
    """The app without its background loops (delivery, problem spotting, clean-up): they would change the rows
    under the test at times of their own, and schemathesis starts and stops the app's lifespan for each test."""
    yield


def load_schema() -> tuple[schemathesis.BaseSchema, str]:
    """The real app on a SQLite file of its own, and an admin token (built when the module is collected:
    schemathesis makes one test per operation from the schema)."""
    services = build_services(Settings(database_url=f"sqlite:///{DATABASE}", data_dir=DATABASE.parent / "data",
                                       channel_keys={"fuzz": KEY}))

    async def admin_token() -> str:
        async with services.sessions() as session, session.begin():
            return await SqlTokenStore(session).create("fuzz-admin", "admin", None, [])

    token = asyncio.run(admin_token())
    app = build_app(services)
    app.router.lifespan_context = _no_background_work
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded.config.seed = SEED
    return loaded, token


schema, TOKEN = load_schema()
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-Channel-Key": KEY}
KEPT = ("api_tokens", "alembic_version")


@pytest.fixture(autouse=True)
def same_start() -> None:
    """Each operation starts from the same rows (the admin token only) and so the same next ids (no table is
    AUTOINCREMENT), whichever operations ran before it: what a test finds must not hang on the order tests run."""
    with contextlib.closing(sqlite3.connect(DATABASE)) as conn, conn:
        for table in reversed(Base.metadata.sorted_tables):  # children before their parents
            if table.name not in KEPT:
                conn.execute(f'DELETE FROM "{table.name}"')  # noqa: S608 (our own table names)


def _variants(param: dict[str, Any]) -> list[dict[str, Any]]:
    found = param.get("schema", {})
    return [v for v in found.get("anyOf", [found]) if v.get("type") != "null"]


def _edgy(param: dict[str, Any]) -> bool:
    """A row id, a date, or a bounded number: what the database or the date parsing can trip on."""
    return param.get("in") in ("path", "query") and any(
        v.get("type") == "integer" or v.get("format") in ("date", "date-time") for v in _variants(param))


def _has_edgy_parameter(ctx: Any) -> bool:
    return any(_edgy(p) for p in ctx.operation.definition.raw.get("parameters", []))


@schema.exclude(func=_has_edgy_parameter).parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_schema(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, response_schema_conformance])


@schema.include(func=_has_edgy_parameter).parametrize()
@settings(max_examples=EXAMPLES_WITH_IDS_OR_DATES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_taking_an_id_or_a_date_answers_5xx_or_off_schema(
    case: schemathesis.Case,  # type: ignore[type-arg]
) -> None:
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, response_schema_conformance])


# -- the bounds, sent every run ---------------------------------------------------------------------------
INTEGER_EDGES = (-1, 0, 1, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64)
DATE_EDGES = ("0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "2024-13-01", "0000-01-01", "20240304")
DATE_TIME_EDGES = ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                   "2024-03-04T10:00:00", "2024-03-04", "2024-03-04T25:00:00Z")


def _values(param: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for variant in _variants(param):
        if variant.get("type") == "integer":
            bounds = [variant[k] + d for k in ("minimum", "maximum") if k in variant for d in (-1, 0, 1)]
            values += [*INTEGER_EDGES, *bounds]
        elif variant.get("format") == "date":
            values += DATE_EDGES
        elif variant.get("format") == "date-time":
            values += DATE_TIME_EDGES
    return sorted(set(values), key=str)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = schema.raw_schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def _valid(node: dict[str, Any]) -> Any:
    """The plainest value the schema accepts: required properties only, the first choice of each."""
    node = _resolve(node)
    if "anyOf" in node:
        return _valid(node["anyOf"][0])
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        return {name: _valid(node["properties"][name]) for name in node.get("required", [])}
    if kind == "array":
        return [_valid(node.get("items", {}))] * node.get("minItems", 0)
    if kind == "integer":
        return max(node.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    return "x" * max(node.get("minLength", 1), 1)


def _edge_cases() -> list[Any]:
    cases = []
    for path, methods in schema.raw_schema["paths"].items():
        for method, definition in methods.items():
            params = definition.get("parameters", [])
            body = definition.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            plain = {p["name"]: ("HD-000001" if p["name"] == "number" else _valid(p.get("schema", {})))
                     for p in params if p.get("required")}
            for param in filter(_edgy, params):
                for value in _values(param):
                    cases.append(pytest.param(method, path, plain, param, value, body,
                                              id=f"{method.upper()} {path} {param['name']}={value}"))
    return cases


@pytest.mark.parametrize(("method", "path", "plain", "param", "value", "body"), _edge_cases())
def test_ids_and_dates_at_and_past_their_bounds_are_answered_without_a_5xx(
    method: str, path: str, plain: dict[str, Any], param: dict[str, Any], value: Any, body: dict[str, Any] | None,
) -> None:
    given = {**plain, param["name"]: value}
    params = {p["name"]: p["in"] for p in schema[path][method].definition.raw.get("parameters", [])}
    case = schema[path][method].Case(
        path_parameters={k: v for k, v in given.items() if params[k] == "path"},
        query={k: v for k, v in given.items() if params[k] == "query"},
        **({"body": _valid(body)} if body is not None else {}),
    )
    response = case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, response_schema_conformance])
    if 400 <= response.status_code < 500:  # the documented error shape, whatever the value tripped on
        assert set(response.json()) >= {"error", "message"}, response.text
