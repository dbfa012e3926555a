"""Security tests use the API's fixtures: the real app on the test database and a token per role."""

from tests.api.conftest import app, client, file_ticket, services, tokens  # noqa: F401
