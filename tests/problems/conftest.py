"""Problem fixtures: the real app and engine, built as the API tests build them."""

from tests.api.conftest import app, client, services, tokens  # noqa: F401  (fixtures shared with the API tests)
