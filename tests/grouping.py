"""`pytest -n`: a module that declares `pytestmark = pytest.mark.xdist_group("name")` runs on one worker, so its
module-scoped server and seeded tickets are made once, not once on each worker (measured: the four browser
modules with a module server set theirs up on both workers, 10-35 s each at load 10). Every other test is handed
out one by one, as with `--dist load`.

xdist's own `--dist loadgroup` does this by renaming each test's node id, which pytest 9.2 no longer lets it do
(Node.nodeid reads `_id` now): the group is lost and the tests are spread as with load. So the controller reads
the group from the module's `pytestmark` line instead, and keeps the collection's order (tests/tiers.py puts
the longest modules first)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]  # xdist has no type information

GROUP = re.compile(r'^pytestmark = pytest\.mark\.xdist_group\("([^"]+)"\)', re.MULTILINE)


@functools.cache
def module_group(path: Path) -> str | None:
    """The xdist group the module at `path` declares, if any."""
    try:
        found = GROUP.search(path.read_text(encoding="utf-8"))
    except OSError:
        return None
    return found.group(1) if found else None


class ModuleGroups(LoadScopeScheduling):  # type: ignore[misc]
    """Each test a unit of work of its own, but a grouped module's tests one unit."""

    def __init__(self, config: pytest.Config, log: object = None) -> None:
        super().__init__(config, log)
        self.root = config.rootpath

    def _split_scope(self, nodeid: str) -> str:
        group = module_group(self.root / nodeid.split("::", 1)[0])
        return f"group:{group}" if group else nodeid


def scheduler(config: pytest.Config, log: object) -> ModuleGroups | None:
    """The scheduler for `--dist load` (what `-n` picks) and `--dist loadgroup`; others are left to xdist."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    config.option.loadscopereorder = False  # the collection's order, not the biggest unit first
    return ModuleGroups(config, log)
