"""Personal numbers in what each role is shown: L1 operators and admins call users back and see their phone
numbers whole; every other role (tier teams, KB maintainers) sees phone and Aadhaar-like numbers masked to
their last four digits (core.logmask's patterns), in every view, API and console alike.

Masking works on the values a view is built from (models, dataclasses, dicts, lists), never on rendered
bytes, so references that happen to hold digits (attachment hashes, tokens) are left as they are.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from pydantic import BaseModel

from api.tokens import Principal
from core.logmask import mask

T = TypeVar("T")
SEES_PERSONAL_NUMBERS = frozenset({"operator", "admin"})
# values under these keys are references or tokens, not text a person wrote
_KEEP = frozenset({"ref", "csrf", "sid", "number", "numbers", "token_hash", "secret", "url"})


def sees_numbers(who: Principal | None) -> bool:
    return who is not None and who.role in SEES_PERSONAL_NUMBERS


def for_viewer(who: Principal | None, value: T) -> T:
    """`value` as `who` may see it: whole for roles that call users back, else with numbers masked."""
    return value if sees_numbers(who) else masked(value)


def masked(value: Any) -> Any:
    """A copy of `value` with every phone and Aadhaar-like number in its text masked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, BaseModel):
        return type(value).model_validate(masked(value.model_dump()))
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: masked(getattr(value, f.name)) for f in fields(value) if f.init and f.name not in _KEEP}
        return replace(value, **changes)
    if isinstance(value, dict):
        return {k: v if k in _KEEP else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(masked(v) for v in value)
    return value
