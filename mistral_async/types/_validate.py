"""attrs validators for request parameters: each error names the parameter and what is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from .._errors import InvalidParameterError
from .._types import NotGiven

__all__ = ["mapping", "messages", "number", "one_of", "sequence", "string", "strings"]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_ROLES = ("system", "user", "assistant", "tool")


CHECK = "mistral_async.check"


def check(validator: Validator) -> dict[str, Validator]:
    """attrs field metadata carrying a check, run by :meth:`Model.validated` on given values.

    Checks are not attrs validators so that building a request checks only the
    parameters the caller gave, not the two dozen left at ``NOT_GIVEN``.
    """
    return {CHECK: validator}


def _skip(value: Any, nullable: bool) -> bool:
    return isinstance(value, NotGiven) or (nullable and value is None)


def number(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    integer: bool = False,
    nullable: bool = True,
) -> Validator:
    """A number (an int when ``integer``) within the spec's bounds."""
    kinds: tuple[type[int] | type[float], ...] = (int,) if integer else (int, float)
    noun = "an integer" if integer else "a number"

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _skip(value, nullable):
            return
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise InvalidParameterError(
                attribute.name, f"must be {noun}, not {type(value).__name__}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameterError(attribute.name, f"must be finite, not {value!r}")
        if ge is not None and value < ge:
            raise InvalidParameterError(attribute.name, f"must be >= {ge}, got {value!r}")
        if gt is not None and value <= gt:
            raise InvalidParameterError(attribute.name, f"must be > {gt}, got {value!r}")
        if le is not None and value > le:
            raise InvalidParameterError(attribute.name, f"must be <= {le}, got {value!r}")

    return check


def string(*, nullable: bool = True, non_empty: bool = False) -> Validator:
    """A string."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _skip(value, nullable):
            return
        if not isinstance(value, str):
            raise InvalidParameterError(
                attribute.name, f"must be a string, not {type(value).__name__}"
            )
        if non_empty and not value:
            raise InvalidParameterError(attribute.name, "must not be empty")

    return check


def one_of(*choices: str, nullable: bool = True) -> Validator:
    """One of the values the spec lists."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _skip(value, nullable):
            return
        if value not in choices:
            raise InvalidParameterError(
                attribute.name, f"must be one of {', '.join(map(repr, choices))}; got {value!r}"
            )

    return check


def mapping(*, nullable: bool = True) -> Validator:
    """A dict (or another mapping)."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _skip(value, nullable):
            return
        if not isinstance(value, Mapping):
            raise InvalidParameterError(
                attribute.name, f"must be a dict, not {type(value).__name__}"
            )

    return check


def sequence(
    item: Callable[[str, Any], None] | None = None, *, nullable: bool = True, min_items: int = 0
) -> Validator:
    """A list (not a string), each item checked by ``item(path, value)``."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if _skip(value, nullable):
            return
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise InvalidParameterError(
                attribute.name, f"must be a list, not {type(value).__name__}"
            )
        if len(value) < min_items:
            raise InvalidParameterError(attribute.name, f"must have at least {min_items} item(s)")
        if item is not None:
            for i, element in enumerate(value):
                item(f"{attribute.name}[{i}]", element)

    return check


def strings(*, nullable: bool = True, single: bool = True, min_items: int = 0) -> Validator:
    """A list of strings (or, when ``single``, one string)."""

    def item(path: str, value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidParameterError(path, f"must be a string, not {type(value).__name__}")

    check_list = sequence(item, nullable=nullable, min_items=min_items)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if single and isinstance(value, str):
            return
        check_list(inst, attribute, value)

    return check


def _model_or_dict(
    kind: str, key: str, allowed: tuple[str, ...] | None
) -> Callable[[str, Any], None]:
    from .._converter import Model

    def item(path: str, value: Any) -> None:
        if isinstance(value, Model):
            return
        if not isinstance(value, Mapping):
            raise InvalidParameterError(
                path, f"must be a {kind} object or a dict, not {type(value).__name__}"
            )
        if allowed is not None:
            tag = value.get(key)
            if tag not in allowed:
                raise InvalidParameterError(
                    f"{path}.{key}", f"must be one of {', '.join(allowed)}; got {tag!r}"
                )

    return item


messages = sequence(_model_or_dict("message", "role", _ROLES), nullable=False, min_items=1)
"""Chat messages: attrs message objects or dicts with a known ``role``."""

objects = _model_or_dict
