"""Domain errors to HTTP, in one place; handlers on base classes cover their subclasses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ConflictError,
    HelpdeskError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TakeOverRequired,
)

log = logging.getLogger(__name__)

STATUS: list[tuple[type[HelpdeskError], int, str]] = [
    (StaleVersion, 412, "stale_version"),
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (InvalidInput, 422, "invalid_input"),
    (InvalidTransition, 409, "invalid_transition"),
    (TakeOverRequired, 409, "take_over_required"),
    (ConflictError, 409, "conflict"),
    (HelpdeskError, 400, "error"),
]


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            return error_response(status, code, str(exc))
    raise exc


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(422, "invalid_input", "; ".join(problems))


_CODES = {400: "bad_request", 413: "too_large", 405: "method_not_allowed", 401: "unauthorized",
          403: "forbidden", 404: "not_found", 409: "conflict",
          412: "stale_version", 422: "invalid_input", 428: "precondition_required", 503: "unavailable",
          429: "rate_limited"}


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = error_response(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    """The database is unreachable (or busy past its timeout): a retryable 503, never a 500 traceback."""
    log.warning("database unavailable during %s %s: %s", request.method, request.url.path,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    response = error_response(503, "unavailable", "the database is unreachable; nothing was changed, retry later")
    response.headers["Retry-After"] = "1"
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged with its traceback, answered in the documented shape, never a bare 500 page."""
    log.error("unexpected error during %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "something went wrong on the server; nothing is known to have "
                                                 "changed, and the error is logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(HelpdeskError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
