"""The one cattrs converter of mistral_async, and the :class:`Model` base of every attrs type.

Hooks are generated once per class and cached by cattrs. Responses keep fields this
version does not know (reachable as attributes and in :meth:`Model.to_dict`), and
enum-like fields are plain strings, so values the API adds later never break parsing.
When unstructuring for a request, a field left at ``NOT_GIVEN`` is not sent, and an
optional field at its ``None`` default is not sent either.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Self, TypeVar

import attrs
import cattrs

from ._types import NOT_GIVEN, NotGiven

__all__ = ["Model", "converter", "structure", "unstructure"]

T = TypeVar("T")


@attrs.define(slots=True)
class Model:
    """Base of every request and response type: attrs classes with the wire's field names.

    Fields the SDK does not know are kept: ``obj.some_new_field`` reads them and
    :attr:`extra_fields` lists them.
    """

    _extra: dict[str, Any] | None = attrs.field(
        default=None, init=False, repr=False, eq=False, kw_only=True
    )

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            extra = self._extra
            if extra is not None and name in extra:
                return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields received from the API that this version of the SDK does not know."""
        return self._extra or {}

    def to_dict(self) -> dict[str, Any]:
        """The object as the JSON-ready dict the API uses (unknown fields included)."""
        result: dict[str, Any] = _full.unstructure(self)
        return result

    @classmethod
    def validated(cls, aliases: Mapping[str, str] | None = None, /, **given: Any) -> Self:
        """Build an instance after checking each given value against the API's rules.

        Raises :class:`~mistral_async.InvalidParameterError` naming the parameter, by the
        name the caller used when ``aliases`` maps a field to it (``input`` -> ``inputs``).
        """
        checks = _CHECKS.get(cls)
        if checks is None:
            checks = _CHECKS[cls] = {
                a.name: (a, a.metadata[_CHECK]) for a in attrs.fields(cls) if _CHECK in a.metadata
            }
        for name, value in given.items():
            entry = checks.get(name)
            if entry is not None:
                field = entry[0] if not aliases or name not in aliases else _Named(aliases[name])
                entry[1](None, field, value)
        return cls(**given)


class _Named:
    """Stands in for an attrs field in a check, to name a parameter by its alias."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_CHECK = "mistral_async.check"
WIRE = "mistral_async.wire"
"""attrs field metadata: the field's name on the wire when it is not a Python name
(``from_`` for ``from``), used by the generated types."""
_CHECKS: dict[type, dict[str, tuple[Any, Any]]] = {}


converter = cattrs.Converter(detailed_validation=False)


def _identity(value: Any, _: Any = None) -> Any:
    return value


# JSON scalars come out of the decoder with the right type; coercing them (cattrs'
# default for ``str`` is ``str(value)``) would only cost time and hide oddities.
for _scalar in (str, int, float, bool):
    converter.register_structure_hook(_scalar, _identity)
converter.register_structure_hook(Any, _identity)


# Constant tags such as ``role`` and ``type``: a value the API adds later must not fail.
def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


converter.register_structure_hook_func(_is_literal, _identity)
converter.register_unstructure_hook(dict, _identity)


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Model) and attrs.has(cls)


_MISSING = object()
_NONE_TYPE = type(None)


def _field_plan(tp: Any) -> tuple[bool, Any, str]:
    """How to structure a value of type ``tp``: (optional, hook, kind).

    ``kind`` is ``"raw"`` (use the value as decoded), ``"list"`` (apply ``hook`` to each
    item) or ``"call"`` (apply ``hook`` to the value).
    """
    optional = False
    args = typing.get_args(tp)
    if _NONE_TYPE in args and typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = tuple(a for a in args if a is not _NONE_TYPE)
        if len(rest) == 1:
            optional, tp = True, rest[0]
    hook = _hook(tp)
    if hook is _identity:
        return optional, None, "raw"
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (Any,)
        item_hook = _hook(item)
        if item_hook is _identity:
            return optional, None, "raw"
        return optional, item_hook, "list"
    return optional, hook, "call"


_BUILDING: set[Any] = set()
"""Classes whose structure function is being generated: a field of the class's own type
(a tree of spans) gets a hook that looks the function up when called."""


def _hook(tp: Any) -> Any:
    if tp in _BUILDING:
        return lambda data, _=None: converter.get_structure_hook(tp)(data, tp)
    return converter.get_structure_hook(tp)


def _structure_factory(cls: type[Model]) -> Callable[[Any, Any], Model]:
    _BUILDING.add(cls)
    try:
        return _build_structure(cls)
    finally:
        _BUILDING.discard(cls)


def _build_structure(cls: type[Model]) -> Callable[[Any, Any], Model]:
    """Generate a straight-line structure function for one attrs class.

    It sets the slots of a new instance directly from the decoded dict (response
    classes have no validators), resolving every nested hook once, here.
    """
    hints = typing.get_type_hints(cls)
    fields = [a for a in attrs.fields(cls) if a.init]
    known = frozenset(a.metadata.get(WIRE, a.name) for a in fields)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_MISSING": _MISSING,
        "_known": known,
        "_type_error": _type_error,
    }
    body = [
        "def structure_model(data, _=None):",
        "    if type(data) is not dict:",
        "        if isinstance(data, _cls):",
        "            return data",
        "        _type_error(_cls, data)",
        "    obj = _new(_cls)",
    ]
    for i, field in enumerate(fields):
        optional, hook, kind = _field_plan(hints[field.name])
        name = field.name
        wire = field.metadata.get(WIRE, name)
        namespace[f"_h{i}"] = hook
        if kind == "raw":
            convert = "v"
        elif kind == "list":
            convert = f"[_h{i}(x, None) for x in v]"
        else:
            convert = f"_h{i}(v, None)"
        if optional and kind != "raw":
            convert = f"None if v is None else {convert}"
        if field.default is attrs.NOTHING:
            body.append(f"    v = data[{wire!r}]")
            body.append(f"    obj.{name} = {convert}")
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            namespace[f"_d{i}"] = field.default.factory
            missing = f"_d{i}()"
        else:
            namespace[f"_d{i}"] = field.default
            missing = f"_d{i}"
        if kind == "raw":
            body.append(f"    obj.{name} = data.get({wire!r}, {missing})")
        else:
            body.append(f"    v = data.get({wire!r}, _MISSING)")
            body.append(f"    obj.{name} = {missing} if v is _MISSING else {convert}")
    body += [
        "    obj._extra = None if data.keys() <= _known else "
        "{k: v for k, v in data.items() if k not in _known}",
        "    return obj",
    ]
    exec(compile("\n".join(body), f"<structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 - generated from attrs fields, not from input
    result: Callable[[Any, Any], Model] = namespace["structure_model"]
    return result


def _is_union(tp: Any) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    return len([a for a in typing.get_args(tp) if a is not _NONE_TYPE]) > 1


def _union_factory(tp: Any) -> Callable[[Any, Any], Any]:
    """A structure hook for an undiscriminated union (named unions register their own).

    An object becomes the union's attrs class whose required fields it has, the one
    sharing the most fields with it when several fit; a list is structured as the
    union's list branch; anything else is kept as decoded.
    """
    branches = [a for a in typing.get_args(tp) if a is not _NONE_TYPE]
    models = [a for a in branches if _is_model(a)]
    plans = []
    for model in models:
        fields = [a for a in attrs.fields(model) if a.init]
        required = frozenset(
            a.metadata.get(WIRE, a.name) for a in fields if a.default is attrs.NOTHING
        )
        known = frozenset(a.metadata.get(WIRE, a.name) for a in fields)
        plans.append((model, required, known))
    lists = [a for a in branches if typing.get_origin(a) is list]

    def structure_union(data: Any, _: Any = None) -> Any:
        if type(data) is dict:
            best = None
            score = -1
            for model, required, known in plans:
                if required <= data.keys():
                    shared = len(known & data.keys())
                    if shared > score:
                        best, score = model, shared
            if best is None:
                return data
            return converter.get_structure_hook(best)(data, best)
        if type(data) is list and lists:
            return converter.get_structure_hook(lists[0])(data, lists[0])
        return data

    return structure_union


def _type_error(cls: type[Any], data: Any) -> None:
    raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")


_PLAIN = frozenset({str, int, float, bool, type(None), dict})


def _unstructure_hooks(
    target: cattrs.Converter, keep_extra: bool
) -> Callable[[type[Model]], Callable[[Model], dict[str, Any]]]:
    """The unstructure hook factory of one converter.

    Request bodies leave out the fields the SDK does not know (the API forbids extra
    fields, so a response message sent back must not carry them); ``to_dict()`` keeps
    them, for a faithful copy of what was received.
    """

    def value(item: Any) -> Any:
        # Unstructure by the runtime type, so a dict may stand wherever an object may.
        cls = item.__class__
        if cls in _PLAIN:
            return item
        if cls is list:
            # Lists of messages, tools, chunks: skip cattrs' dispatch for the plain items.
            return [x if x.__class__ in _PLAIN else value(x) for x in item]
        return target.unstructure(item)

    def factory(cls: type[Model]) -> Callable[[Model], dict[str, Any]]:
        """Generate a straight-line unstructure function for one attrs class.

        A field left at ``NOT_GIVEN`` is left out; so is an optional field at its ``None``
        default. Values are unstructured by their runtime type (attrs object, dict, list).
        """
        namespace: dict[str, Any] = {"_NG": NOT_GIVEN, "_u": value, "_PLAIN": _PLAIN}
        body = ["def unstructure_model(obj):", "    res = {}"]
        for field in attrs.fields(cls):
            if field.name == "_extra":
                continue
            name = field.name
            wire = field.metadata.get(WIRE, name)
            body.append(f"    v = obj.{name}")
            if field.default is NOT_GIVEN:
                body.append("    if v is not _NG:")
            elif field.default is None:
                body.append("    if v is not None and v is not _NG:")
            else:
                body.append("    if True:")
            body.append(f"        res[{wire!r}] = v if v.__class__ in _PLAIN else _u(v)")
        if keep_extra:
            body += ["    extra = obj._extra", "    if extra:", "        res.update(extra)"]
        body.append("    return res")
        source = "\n".join(body)
        exec(compile(source, f"<unstructure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 - generated from attrs fields, not from input
        result: Callable[[Model], dict[str, Any]] = namespace["unstructure_model"]
        return result

    return factory


# to_dict(): like request bodies, but keeping what the SDK does not know.
_full = cattrs.Converter(detailed_validation=False)
_full.register_unstructure_hook(dict, _identity)
_full.register_unstructure_hook_factory(_is_model, _unstructure_hooks(_full, keep_extra=True))

converter.register_structure_hook_factory(_is_union, _union_factory)
converter.register_structure_hook_factory(_is_model, _structure_factory)
converter.register_unstructure_hook_factory(
    _is_model, _unstructure_hooks(converter, keep_extra=False)
)


def unstructure(value: Any) -> Any:
    """Turn attrs objects (at any depth of lists and dicts) into JSON-ready values."""
    return converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON."""
    return converter.structure(data, cls)


def json_default(value: Any) -> Any:
    """``default=`` hook for the JSON encoder: attrs objects nested inside plain dicts."""
    if isinstance(value, Model):
        return converter.unstructure(value)
    if isinstance(value, NotGiven):
        raise TypeError("NOT_GIVEN cannot be sent inside a value; leave the key out instead")
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def tagged_union(
    key: str, mapping: Mapping[str, type[Any]], fallback: Callable[[Any], Any] = _identity
) -> Callable[[Any, Any], Any]:
    """A structure hook for a union told apart by ``data[key]``; unknown tags use ``fallback``.

    Unknown tags are passed through (as the raw dict by default) rather than failing,
    since the API adds new kinds of content over time.
    """
    hooks: dict[Any, Callable[[Any, Any], Any]] = {}

    def structure_union(data: Any, _: Any) -> Any:
        if type(data) is dict:
            tag = data.get(key)
            hook = hooks.get(tag)
            if hook is None:
                cls = mapping.get(tag)  # type: ignore[arg-type]
                if cls is None:
                    return fallback(data)
                hook = hooks[tag] = converter.get_structure_hook(cls)
            return hook(data, None)
        if isinstance(data, tuple(mapping.values())):
            return data
        return fallback(data)

    return structure_union


def register_union(tp: Any, hook: Callable[[Any, Any], Any]) -> None:
    """Register a structure hook for a union type (used by the types modules)."""
    converter.register_structure_hook_func(lambda t: t == tp, hook)
