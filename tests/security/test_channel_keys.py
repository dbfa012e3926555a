"""HTTP-chat integrations are kept apart by name: an integration's users are stored as "<name>:<user>", and
a name can never hold the ":" that would let integration "a" and integration "a:b" name the same user."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


@pytest.mark.parametrize("name", ["a:b", "", "x" * 65, "a b", "a/b"])
def test_an_integration_name_that_could_collide_is_refused_at_start(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError, match="channel key names"):
        Settings(data_dir=tmp_path, channel_keys={"a": "secret-a", name: "secret-b"})


def test_plain_names_are_accepted_and_existing_users_keep_their_ids(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, channel_keys={"portal": "p", "erp-2": "e", "muk_ta": "m"})
    assert sorted(settings.channel_keys) == ["erp-2", "muk_ta", "portal"]
