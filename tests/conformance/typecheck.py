"""Whether a value is an instance of an SDK type annotation (``X | None``, ``list[X]``...).

``isinstance`` does not understand ``list[Model]``, ``Literal[...]`` or ``Annotated``
unions; :func:`mismatch` does, one level deep for containers (what is inside an attrs
object was structured by the SDK's converter already).
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

__all__ = ["mismatch", "type_name"]

_NO_TYPE = object()


def type_name(tp: Any) -> str:
    """A short name for an annotation."""
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, type) and get_origin(tp) is None:
        return tp.__name__
    return str(tp).replace("typing.", "").replace("mistral_async.types.", "")


def mismatch(value: Any, tp: Any, where: str = "result") -> str | None:
    """Why ``value`` is not a ``tp``, or ``None`` when it is (or ``tp`` cannot be checked)."""
    if tp is Any or tp is object:
        return None
    if tp is None or tp is type(None):
        return None if value is None else f"{where}: a {type(value).__name__}, not None"
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        return mismatch(value, args[0], where)
    if origin is Union or isinstance(tp, types.UnionType):
        if any(mismatch(value, member, where) is None for member in args):
            return None
        return f"{where}: a {type(value).__name__}, none of {type_name(tp)}"
    if origin is Literal:
        return None if value in args else f"{where}: {value!r}, not one of {args}"
    if origin in (list, tuple, set, frozenset, Sequence):
        container = origin if isinstance(origin, type) else Sequence
        if not isinstance(value, container) or isinstance(value, str | bytes):
            return f"{where}: a {type(value).__name__}, not a {type_name(tp)}"
        item = args[0] if args and origin is not tuple else Any
        elements: list[Any] = list(cast(Iterable[Any], value))
        for index, element in enumerate(elements):
            found = mismatch(element, item, f"{where}[{index}]")
            if found:
                return found
        return None
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            return f"{where}: a {type(value).__name__}, not a {type_name(tp)}"
        item = args[1] if len(args) == 2 else Any
        for key, element in value.items():
            found = mismatch(element, item, f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(tp, type):
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return None
        if isinstance(value, tp):
            return None
        return f"{where}: a {type(value).__name__}, not a {type_name(tp)}"
    alias = getattr(tp, "__value__", _NO_TYPE)  # a ``type X = ...`` alias
    if alias is not _NO_TYPE:
        return mismatch(value, alias, where)
    return None  # a NewType, a TypeVar...: nothing to check
